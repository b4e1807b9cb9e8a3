/**
 * The three CAP Profile publisher keys, configured at init (KEE-1 P4): `KEE_PUBLISHER_KEYS`
 * (three comma-separated raw Ed25519 public keys, hex or base64url) or `KEE_PUBLISHER_KEYS_FILE`
 * (the same in a file, one per line). With neither, three DEVELOPMENT key pairs are created on
 * first start under `$KEE_DATA_DIR/dev-publishers/publisher-{1,2,3}/` and reused afterwards.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { parsePublisherKeys } from '../kernel/cap-profile/publisher-keys.ts';
import { publisherKeySet } from '../kernel/cap-profile/verify-update.ts';
import { createPublisherKey, readPublisherKey } from './publisher-key-files.ts';

export async function loadPublisherKeys(env: Record<string, string | undefined>, dataDir: string, log: (line: string) => void): Promise<Uint8Array[]> {
  if (env.KEE_PUBLISHER_KEYS && env.KEE_PUBLISHER_KEYS_FILE) throw new Error('set KEE_PUBLISHER_KEYS or KEE_PUBLISHER_KEYS_FILE, not both');
  let keys: Uint8Array[];
  let source: string;
  if (env.KEE_PUBLISHER_KEYS) {
    keys = parsePublisherKeys(env.KEE_PUBLISHER_KEYS);
    source = 'KEE_PUBLISHER_KEYS';
  } else if (env.KEE_PUBLISHER_KEYS_FILE) {
    keys = parsePublisherKeys(await readFile(env.KEE_PUBLISHER_KEYS_FILE, 'utf8'));
    source = `KEE_PUBLISHER_KEYS_FILE (${env.KEE_PUBLISHER_KEYS_FILE})`;
  } else {
    const dir = join(dataDir, 'dev-publishers');
    keys = [];
    for (const n of [1, 2, 3]) keys.push((await devKey(join(dir, `publisher-${n}`))).publicKey);
    log(`kee: no KEE_PUBLISHER_KEYS configured: using three DEVELOPMENT publisher keys under ${dir} (for development only; never in production)`);
    source = 'dev-publishers';
  }
  const set = await publisherKeySet(keys);
  log(`kee: cap profile publishers (${source}): ${set.map((k) => k.kid.slice(0, 16)).join(', ')}`);
  return keys;
}

async function devKey(dir: string) {
  try {
    return await readPublisherKey(join(dir, 'publisher.key'));
  } catch (e) {
    if ((e as { code?: string }).code !== 'ENOENT') throw e;
    return createPublisherKey(dir);
  }
}
