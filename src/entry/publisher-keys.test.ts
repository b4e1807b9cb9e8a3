import { mkdtempSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { toHex } from '../kernel/hex.ts';
import { loadPublisherKeys } from './publisher-keys.ts';

const key = (b: number) => toHex(new Uint8Array(32).fill(b));

describe('publisher keys at init', () => {
  it('reads KEE_PUBLISHER_KEYS or KEE_PUBLISHER_KEYS_FILE, not both', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'kee-pk-'));
    const log: string[] = [];
    const fromEnv = await loadPublisherKeys({ KEE_PUBLISHER_KEYS: `${key(1)},${key(2)},${key(3)}` }, dir, (l) => log.push(l));
    expect(fromEnv.map((k) => k[0])).toEqual([1, 2, 3]);
    const file = join(dir, 'keys.txt');
    writeFileSync(file, `# holders\n${key(4)}\n${key(5)}\n${key(6)}\n`);
    expect((await loadPublisherKeys({ KEE_PUBLISHER_KEYS_FILE: file }, dir, () => {})).map((k) => k[0])).toEqual([4, 5, 6]);
    await expect(loadPublisherKeys({ KEE_PUBLISHER_KEYS: key(1), KEE_PUBLISHER_KEYS_FILE: file }, dir, () => {})).rejects.toThrow(/not both/);
    await expect(loadPublisherKeys({ KEE_PUBLISHER_KEYS: `${key(1)},${key(2)}` }, dir, () => {})).rejects.toThrow(/exactly 3/);
    await expect(loadPublisherKeys({ KEE_PUBLISHER_KEYS: `${key(1)},${key(2)},${key(1)}` }, dir, () => {})).rejects.toThrow(/configured twice/);
    expect(log.join('\n')).not.toContain('DEVELOPMENT');
  });

  it('creates three development key pairs once and reuses them', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'kee-pk-'));
    const log: string[] = [];
    const first = await loadPublisherKeys({}, dir, (l) => log.push(l));
    expect(log.join('\n')).toContain('DEVELOPMENT publisher keys');
    for (const n of [1, 2, 3]) {
      const keyFile = join(dir, 'dev-publishers', `publisher-${n}`, 'publisher.key');
      expect(statSync(keyFile).mode & 0o777).toBe(0o600);
      expect(readFileSync(join(dir, 'dev-publishers', `publisher-${n}`, 'publisher.pub'), 'utf8').trim()).toBe(toHex(first[n - 1]!));
    }
    const second = await loadPublisherKeys({}, dir, () => {});
    expect(second.map(toHex)).toEqual(first.map(toHex));
  });
});
