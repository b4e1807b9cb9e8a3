/**
 * The FROST key material under `$KEE_DATA_DIR/frost/` (Node, Bun, Deno):
 *
 * - `public.json`: the group's public package (t, n, group key, verifying shares); no secrets.
 * - `share-<id>.json`: one participant's share, AES-256-GCM sealed under the KEK, mode 0600.
 * - `share-kek.hex`: created only when the operator supplies no KEK (`KEE_SHARE_KEK`,
 *   `KEE_SHARE_KEK_FILE`) on first start, mode 0600. It protects little next to the shares:
 *   operators should supply their own.
 * - `coordinator-ed25519.key`: the coordinator's request-signing key for sidecars, mode 0600.
 * - `events/*.json`: ceremony and reshard transcripts not yet in the kernel journal (written by
 *   `kee signer keygen|refresh|repair`); the kernel records them at start and moves them to
 *   `events/recorded/`.
 */
import { chmod, mkdir, readdir, readFile, rename, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { z } from 'zod';
import { openShare, parseKek, sealShare } from '../adapters/frost/share-file.ts';
import { parsePublicPackage } from '../adapters/frost/public-package.ts';
import { DomainError } from '../kernel/errors.ts';
import { fromHex, toHex } from '../kernel/hex.ts';
import type { Json } from '../kernel/types.ts';

export const PUBLIC_FORMAT = 'kee-frost-public/1';

export type Env = Record<string, string | undefined>;

export const frostDir = (dataDir: string) => join(dataDir, 'frost');
export const sharePath = (dir: string, id: number) => join(dir, `share-${id}.json`);

const publicFile = z.object({
  format: z.literal(PUBLIC_FORMAT),
  threshold: z.number().int(),
  participants: z.array(z.number().int()),
  group_key: z.string(),
  public_package: z.string().regex(/^([0-9a-f]{2})+$/),
});

const exists = async (p: string) =>
  stat(p).then(
    () => true,
    () => false,
  );

/** Writes a secret file with mode 0600 (also when it existed with another mode). */
export async function writeSecret(path: string, text: string): Promise<void> {
  await writeFile(path, text, { mode: 0o600 });
  await chmod(path, 0o600);
}

export async function readPublic(dir: string): Promise<Uint8Array | null> {
  const path = join(dir, 'public.json');
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (e) {
    if ((e as { code?: string }).code === 'ENOENT') return null;
    throw e;
  }
  let parsed;
  try {
    parsed = publicFile.parse(JSON.parse(text));
  } catch {
    throw new DomainError('INVALID_INPUT', `\`${path}\` is not a ${PUBLIC_FORMAT} file`);
  }
  const pkg = fromHex(parsed.public_package) as Uint8Array;
  const p = parsePublicPackage(pkg);
  if (toHex(p.groupKey) !== parsed.group_key || p.threshold !== parsed.threshold) throw new DomainError('INVALID_INPUT', `\`${path}\` does not match its own public package`);
  return pkg;
}

export async function writePublic(dir: string, pkg: Uint8Array): Promise<void> {
  const p = parsePublicPackage(pkg);
  const body = { format: PUBLIC_FORMAT, threshold: p.threshold, participants: [...p.verifyingShares.keys()], group_key: toHex(p.groupKey), public_package: toHex(pkg) };
  await mkdir(dir, { recursive: true, mode: 0o700 });
  await writeFile(join(dir, 'public.json'), `${JSON.stringify(body, null, 2)}\n`);
}

export async function writeShare(dir: string, id: number, share: Uint8Array, kek: Uint8Array): Promise<string> {
  const path = sharePath(dir, id);
  await writeSecret(path, await sealShare(share, kek));
  return path;
}

/** Reads and opens a share file; null when it does not exist. Refuses files others can read. */
export async function readShare(path: string, kek: Uint8Array): Promise<Uint8Array | null> {
  let text: string;
  try {
    const s = await stat(path);
    if ((s.mode & 0o077) !== 0) throw new DomainError('INVALID_INPUT', `share file \`${path}\` is readable by others (mode ${(s.mode & 0o777).toString(8)}): chmod 600 it`);
    text = await readFile(path, 'utf8');
  } catch (e) {
    if ((e as { code?: string }).code === 'ENOENT') return null;
    throw e;
  }
  return (await openShare(text, kek, path)).share;
}

/**
 * The key-encryption key: `KEE_SHARE_KEK` (hex), else `KEE_SHARE_KEK_FILE`, else the generated
 * `share-kek.hex` in `dir`; with `create`, generates that file (0600) when nothing else is there.
 */
export async function resolveKek(env: Env, dir: string, opts: { create: boolean; log: (line: string) => void }): Promise<Uint8Array> {
  if (env.KEE_SHARE_KEK) return parseKek(env.KEE_SHARE_KEK, 'KEE_SHARE_KEK');
  if (env.KEE_SHARE_KEK_FILE) {
    let text: string;
    try {
      text = await readFile(env.KEE_SHARE_KEK_FILE, 'utf8');
    } catch {
      throw new DomainError('INVALID_INPUT', `KEE_SHARE_KEK_FILE \`${env.KEE_SHARE_KEK_FILE}\` cannot be read`);
    }
    return parseKek(text, `KEE_SHARE_KEK_FILE \`${env.KEE_SHARE_KEK_FILE}\``);
  }
  const generated = join(dir, 'share-kek.hex');
  if (await exists(generated)) {
    opts.log(`kee: frost shares are sealed with the generated key-encryption key \`${generated}\`; supply your own (KEE_SHARE_KEK or KEE_SHARE_KEK_FILE)`);
    return parseKek(await readFile(generated, 'utf8'), `\`${generated}\``);
  }
  if (!opts.create) {
    throw new DomainError('INVALID_INPUT', 'no key-encryption key for the frost share files: set KEE_SHARE_KEK (64 hex characters) or KEE_SHARE_KEK_FILE');
  }
  const kek = crypto.getRandomValues(new Uint8Array(32));
  await mkdir(dir, { recursive: true, mode: 0o700 });
  await writeSecret(generated, `${toHex(kek)}\n`);
  opts.log(`kee: no KEE_SHARE_KEK given: created the key-encryption key \`${generated}\` (mode 0600) for the frost share files; operators should supply their own`);
  return kek;
}

/** A 32-byte hex key file (0600), created when missing. */
export async function loadOrCreateKeyFile(path: string, generate: () => Uint8Array): Promise<{ key: Uint8Array; created: boolean }> {
  try {
    const key = fromHex((await readFile(path, 'utf8')).trim().toLowerCase());
    if (!key || key.length !== 32) throw new DomainError('INVALID_INPUT', `key file \`${path}\` is not 32 bytes of hex`);
    return { key, created: false };
  } catch (e) {
    if ((e as { code?: string }).code !== 'ENOENT') throw e;
    const key = generate();
    await writeFile(path, `${toHex(key)}\n`, { mode: 0o600, flag: 'wx' });
    await chmod(path, 0o600);
    return { key, created: true };
  }
}

/** Queues a transcript for the kernel journal. */
export async function queueEvent(dir: string, event: { event_type: string } & Record<string, Json>): Promise<void> {
  const events = join(dir, 'events');
  await mkdir(events, { recursive: true });
  const name = `${new Date().toISOString().replaceAll(':', '-')}-${event.event_type}-${toHex(crypto.getRandomValues(new Uint8Array(4)))}.json`;
  await writeFile(join(events, name), `${JSON.stringify(event, null, 2)}\n`);
}

/** Transcripts waiting for the journal, oldest first, each with `done()` to move it aside once recorded. */
export async function pendingEvents(dir: string): Promise<{ event: { event_type: string } & Record<string, Json>; done: () => Promise<void> }[]> {
  const events = join(dir, 'events');
  let names: string[];
  try {
    names = (await readdir(events)).filter((n) => n.endsWith('.json')).sort();
  } catch {
    return [];
  }
  const out = [];
  for (const name of names) {
    const event = JSON.parse(await readFile(join(events, name), 'utf8')) as { event_type: string } & Record<string, Json>;
    out.push({
      event,
      done: async () => {
        await mkdir(join(events, 'recorded'), { recursive: true });
        await rename(join(events, name), join(events, 'recorded', name));
      },
    });
  }
  return out;
}
