import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { bundlePath, MIGRATION_DIRS, renderBundle } from '../scripts/bundle-migrations.ts';

describe('bundled migrations', () => {
  it.each(MIGRATION_DIRS)('%s/bundle.gen.ts matches drizzle-kit output (run `npm run db:generate` if not)', (dir) => {
    expect(readFileSync(bundlePath(dir), 'utf8')).toBe(renderBundle(dir));
  });
});
