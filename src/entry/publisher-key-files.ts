/**
 * Publisher key files, shared by `kee policy keygen` / `sign` and the dev keys the local entry
 * creates: `<dir>/publisher.key` (the 32-byte Ed25519 seed as hex, mode 0600) and
 * `<dir>/publisher.pub` (the raw public key as hex, the form KEE_PUBLISHER_KEYS takes).
 */
import { chmod, mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { ed25519 } from '@noble/curves/ed25519.js';
import { publisherKid } from '../kernel/cap-profile/cap-profile.ts';
import { fromHex, toHex } from '../kernel/hex.ts';

export type PublisherKeyPair = { seed: Uint8Array; publicKey: Uint8Array; kid: string; keyFile: string; pubFile: string };

/** Creates a key pair in `dir`; refuses to overwrite an existing key. */
export async function createPublisherKey(dir: string): Promise<PublisherKeyPair> {
  await mkdir(dir, { recursive: true });
  const seed = ed25519.utils.randomSecretKey();
  const publicKey = ed25519.getPublicKey(seed);
  const keyFile = join(dir, 'publisher.key');
  const pubFile = join(dir, 'publisher.pub');
  await writeFile(keyFile, `${toHex(seed)}\n`, { mode: 0o600, flag: 'wx' });
  await chmod(keyFile, 0o600);
  await writeFile(pubFile, `${toHex(publicKey)}\n`, { flag: 'wx' });
  return { seed, publicKey, kid: await publisherKid(publicKey), keyFile, pubFile };
}

/** Reads a private key file (hex seed). */
export async function readPublisherKey(keyFile: string): Promise<PublisherKeyPair> {
  const seed = fromHex((await readFile(keyFile, 'utf8')).trim().toLowerCase());
  if (!seed || seed.length !== 32) throw new Error(`\`${keyFile}\` is not a publisher private key (32 bytes of hex)`);
  const publicKey = ed25519.getPublicKey(seed);
  return { seed, publicKey, kid: await publisherKid(publicKey), keyFile, pubFile: keyFile.replace(/\.key$/, '.pub') };
}
