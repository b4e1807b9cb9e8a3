import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { loadTokenSigner, tokenSeedFromEnv } from './token-key.ts';

const dirs: string[] = [];
const fresh = () => {
  const d = mkdtempSync(join(tmpdir(), 'kee-token-'));
  dirs.push(d);
  return d;
};
afterAll(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));

describe('the kernel token key on Node, Bun and Deno', () => {
  it('is made once under KEE_DATA_DIR/token-key/ (mode 0600) and read again at the next start', async () => {
    const dir = fresh();
    const first = await loadTokenSigner({}, dir);
    const file = join(dir, 'token-key', 'token.key');
    expect(statSync(file).mode & 0o777).toBe(0o600);
    expect(statSync(join(dir, 'token-key')).mode & 0o077).toBe(0);
    expect(readFileSync(file, 'utf8')).toMatch(/^[0-9a-f]{64}\n$/);
    const again = await loadTokenSigner({}, dir);
    expect(again.kid).toBe(first.kid);
  });

  it('KEE_TOKEN_KEY gives the seed (no file is made); a malformed one stops the start with one line', async () => {
    const dir = fresh();
    const a = await loadTokenSigner({ KEE_TOKEN_KEY: 'AB'.repeat(32) }, dir);
    const b = await loadTokenSigner({ KEE_TOKEN_KEY: 'ab'.repeat(32) }, fresh());
    expect(a.kid).toBe(b.kid);
    expect(() => statSync(join(dir, 'token-key'))).toThrow();
    expect(() => tokenSeedFromEnv('abc')).toThrow(/^KEE_TOKEN_KEY must be 64 hex characters/);
    expect(tokenSeedFromEnv('  ')).toBeNull();
  });

  it('a damaged key file stops the start and is not replaced', async () => {
    const dir = fresh();
    await loadTokenSigner({}, dir);
    const file = join(dir, 'token-key', 'token.key');
    writeFileSync(file, 'nonsense\n');
    await expect(loadTokenSigner({}, dir)).rejects.toThrow(/is not a token key \(64 hex characters\)/);
    expect(readFileSync(file, 'utf8')).toBe('nonsense\n');
  });
});
