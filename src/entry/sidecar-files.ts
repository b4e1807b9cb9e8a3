/**
 * The files of a sidecar that takes part in key ceremonies (`kee signer serve --ceremony`):
 *
 * - its share file (`--share`), written at a ceremony's commit: sealed under the KEK exactly as
 *   `share-file.ts` does, mode 0600, through a temporary file and a rename (a crash leaves the
 *   old share or the new one, never half of one);
 * - its identity key (`--identity-key`, default `<share without .json>.identity-ed25519.key`):
 *   a long-term Ed25519 seed, mode 0600, created at first serve (or by `kee signer identity`);
 * - the peers file (`--peers`): `{"1": "<identity public key hex>", "2": …, …}`, every
 *   participant's identity key, its own included, as the operator collected them with
 *   `kee signer identity`. Read again at every ceremony, so it can be edited without a restart.
 */
import { chmod, mkdir, open, readFile, rename } from 'node:fs/promises';
import { dirname } from 'node:path';
import { ed25519 } from '@noble/curves/ed25519.js';
import { sealShare } from '../adapters/frost/share-file.ts';
import { unwrap } from '../adapters/frost/participant.ts';
import type { WasmFrostParticipant } from '../adapters/wasm/load.ts';
import { DomainError } from '../kernel/errors.ts';
import { fromHex, toHex } from '../kernel/hex.ts';
import { loadOrCreateKeyFile } from './frost-files.ts';

export const defaultIdentityPath = (sharePath: string) => `${sharePath.replace(/\.json$/, '')}.identity-ed25519.key`;

/** The sidecar's identity seed, created (0600) when missing. */
export async function loadIdentity(path: string): Promise<{ key: Uint8Array; created: boolean }> {
  await mkdir(dirname(path), { recursive: true, mode: 0o700 });
  return loadOrCreateKeyFile(path, () => ed25519.utils.randomSecretKey());
}

/** The peers file: participant id -> identity public key. */
export async function readPeers(path: string): Promise<Map<number, Uint8Array>> {
  let value: unknown;
  try {
    value = JSON.parse(await readFile(path, 'utf8'));
  } catch {
    throw new DomainError('INVALID_INPUT', `the peers file \`${path}\` cannot be read as JSON`);
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new DomainError('INVALID_INPUT', `the peers file \`${path}\` must be a JSON object {"<id>": "<identity key hex>", …}`);
  const peers = new Map<number, Uint8Array>();
  for (const [id, hex] of Object.entries(value)) {
    const key = typeof hex === 'string' ? fromHex(hex.trim().toLowerCase()) : null;
    if (!/^\d{1,3}$/.test(id) || Number(id) < 1 || Number(id) > 255 || !key || key.length !== 32) {
      throw new DomainError('INVALID_INPUT', `the peers file \`${path}\`: entry \`${id}\` must map a participant id (1 to 255) to 64 hex characters`);
    }
    peers.set(Number(id), key);
  }
  return peers;
}

/** Seals `handle`'s share to `path` (0600) through a temporary file, fsync and a rename. */
export async function storeShare(path: string, handle: WasmFrostParticipant, kek: Uint8Array): Promise<void> {
  const share = unwrap(handle.exportShare(), `participant ${handle.identifier} export`);
  try {
    const tmp = `${path}.${toHex(crypto.getRandomValues(new Uint8Array(4)))}.tmp`;
    await mkdir(dirname(path), { recursive: true, mode: 0o700 });
    const file = await open(tmp, 'wx', 0o600);
    try {
      await file.writeFile(await sealShare(share, kek));
      await file.sync();
    } finally {
      await file.close();
    }
    await chmod(tmp, 0o600);
    await rename(tmp, path);
    const parent = await open(dirname(path), 'r');
    await parent.sync().finally(() => parent.close());
  } finally {
    share.fill(0);
  }
}
