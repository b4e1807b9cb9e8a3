/**
 * The kernel token key on Node, Bun and Deno (docs/credentials.md): `KEE_TOKEN_KEY` (a 32-byte
 * Ed25519 seed as 64 hex characters) when set, otherwise `$KEE_DATA_DIR/token-key/token.key`,
 * created once (mode 0600, in a 0700 directory) and read at every later start. It signs
 * credentials only: the block-signing key (KIA) is a different key.
 */
import { chmod, mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { JoseTokenSigner } from '../adapters/jose/token-signer.ts';
import { fromHex, toHex } from '../kernel/hex.ts';
import { StartupError } from './startup-error.ts';

/** The token key seed KEE_TOKEN_KEY gives, null when unset; a malformed value stops the start. */
export function tokenSeedFromEnv(value: string | undefined): Uint8Array | null {
  const v = value?.trim();
  if (!v) return null;
  const seed = fromHex(v.toLowerCase());
  if (!seed || seed.length !== 32) throw new StartupError('KEE_TOKEN_KEY must be 64 hex characters (a 32-byte Ed25519 seed): unset it to keep the key under KEE_DATA_DIR/token-key/');
  return seed;
}

/** The token signer: from KEE_TOKEN_KEY, or the key file under `dataDir` (made on first start). */
export async function loadTokenSigner(env: Record<string, string | undefined>, dataDir: string): Promise<JoseTokenSigner> {
  return new JoseTokenSigner(await loadTokenSeed(env, dataDir));
}

/** The token key's 32-byte seed, by `loadTokenSigner`'s rules. */
export async function loadTokenSeed(env: Record<string, string | undefined>, dataDir: string): Promise<Uint8Array> {
  const given = tokenSeedFromEnv(env.KEE_TOKEN_KEY);
  if (given) return given;
  const dir = join(dataDir, 'token-key');
  const file = join(dir, 'token.key');
  let text: string | null = null;
  try {
    text = await readFile(file, 'utf8');
  } catch (e) {
    if ((e as { code?: string }).code !== 'ENOENT') throw new StartupError(`cannot read the token key \`${file}\`: ${(e as Error).message}`);
  }
  if (text !== null) {
    const seed = fromHex(text.trim().toLowerCase());
    if (!seed || seed.length !== 32) throw new StartupError(`\`${file}\` is not a token key (64 hex characters): restore it, or remove it to make a new one (credentials already issued then no longer verify)`);
    return seed;
  }
  await mkdir(dir, { recursive: true, mode: 0o700 });
  const seed = JoseTokenSigner.generateSeed();
  try {
    await writeFile(file, `${toHex(seed)}\n`, { mode: 0o600, flag: 'wx' });
  } catch (e) {
    // another kernel on the same data directory made it first: use that one
    if ((e as { code?: string }).code === 'EEXIST') return loadTokenSeed(env, dataDir);
    throw new StartupError(`cannot create the token key \`${file}\`: ${(e as Error).message}`);
  }
  await chmod(file, 0o600);
  return seed;
}
