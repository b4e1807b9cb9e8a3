import { readFileSync } from 'node:fs';
import { expect, it } from 'vitest';
import { renderBundle } from '../scripts/bundle-migrations.ts';

it('the bundled migrations match drizzle-kit output (run `npm run db:generate` if not)', () => {
  expect(readFileSync('src/adapters/libsql/migrations/bundle.gen.ts', 'utf8')).toBe(renderBundle());
});
