/**
 * `kee signer keygen|refresh|repair --sidecars <list>`: the operator drives a key ceremony among
 * running sidecars (`kee signer serve --ceremony`) over HTTP or Unix sockets, signing every
 * request with the coordinator key (`<data-dir>/frost/coordinator-ed25519.key`, as the kernel
 * uses). Each secret is generated and kept inside its own sidecar; this process only relays
 * public announcements and sealed packages. It writes the public package into the kernel's data
 * directory (never a share) and queues the transcript for the kernel journal.
 */
import { join } from 'node:path';
import { ed25519 } from '@noble/curves/ed25519.js';
import { CeremonyClient, runSidecarDkg, runSidecarRepair, type CeremonyResult } from '../adapters/frost/ceremony-coordinator.ts';
import { checkFrostConfig } from '../adapters/frost/ceremony.ts';
import { coordinatorPublicKey } from '../adapters/frost/coordinator-auth.ts';
import { parsePublicPackage } from '../adapters/frost/public-package.ts';
import { DomainError } from '../kernel/errors.ts';
import { toHex } from '../kernel/hex.ts';
import type { Json } from '../kernel/types.ts';
import { loadOrCreateKeyFile, queueEvent, readPublic, writePublic } from './frost-files.ts';
import { requirePublic } from './frost-keys.ts';
import { nodeHttpTransport, unixTransport } from './unix-transport.ts';
import { mkdir, writeFile } from 'node:fs/promises';

/** `[<id>=]<http://host:port | unix:/path.sock>,…` (without `id=`, the position, 1-based), as KEE_FROST_PARTICIPANTS. */
export function parseSidecars(list: string, coordinatorKey: Uint8Array): CeremonyClient[] {
  const entries = list
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s !== '');
  const clients = entries.map((entry, i) => {
    const m = /^(\d+)=(.+)$/.exec(entry);
    const id = m ? Number(m[1]) : i + 1;
    const target = m ? (m[2] as string) : entry;
    if (id < 1 || id > 255) throw new DomainError('INVALID_INPUT', `--sidecars entry \`${entry}\`: participant ids are 1 to 255`);
    if (target.startsWith('unix:')) return new CeremonyClient({ id, baseUrl: 'http://localhost', coordinatorKey, transport: unixTransport(target.slice(5)) });
    if (!/^https?:\/\//.test(target)) throw new DomainError('INVALID_INPUT', `--sidecars entry \`${entry}\` is not an http(s) URL or unix:<path>`);
    return new CeremonyClient({ id, baseUrl: target, coordinatorKey, ...(target.startsWith('http:') ? { transport: nodeHttpTransport() } : {}) });
  });
  if (new Set(clients.map((c) => c.id)).size !== clients.length) throw new DomainError('INVALID_INPUT', '--sidecars names a participant twice');
  return clients;
}

/** The coordinator's seed under `dir`, created (with its `.pub`) when missing. */
export async function coordinatorKey(dir: string): Promise<Uint8Array> {
  await mkdir(dir, { recursive: true, mode: 0o700 });
  const { key } = await loadOrCreateKeyFile(join(dir, 'coordinator-ed25519.key'), () => ed25519.utils.randomSecretKey());
  await writeFile(join(dir, 'coordinator-ed25519.pub'), `${toHex(coordinatorPublicKey(key))}\n`);
  return key;
}

type Out = { log: (line: string) => void; print: (line: string) => void };

/** Writes the public package and queues the transcript when at least t committed; reports the rest. Returns the exit code. */
async function settle(dir: string, r: CeremonyResult<{ event_type: string }>, threshold: number, what: string, out: Out): Promise<number> {
  if (r.committed.length < threshold) {
    throw new DomainError('SIGNER_FAILED', `${what}: only participants ${r.committed.join(', ') || 'none'} stored their share (${r.uncommitted.map((u) => `${u.id}: ${u.message}`).join('; ')}); the key is unusable: delete their share files and run the ceremony again`);
  }
  await writePublic(dir, r.publicPackage);
  await queueEvent(dir, r.transcript as unknown as { event_type: string } & Record<string, Json>);
  if (r.uncommitted.length === 0) return 0;
  out.log(`kee: ${what}: participants ${r.uncommitted.map((u) => u.id).join(', ')} did not store their share (${r.uncommitted.map((u) => u.message).join('; ')}); restore them with \`kee signer repair <id> --sidecars …\``);
  return 1;
}

export async function keygenSidecars(o: { dir: string; sidecars: string; threshold?: number; participants?: number; force: boolean } & Out): Promise<number> {
  const existing = await readPublic(o.dir);
  if (existing && !o.force) {
    const p = parsePublicPackage(existing);
    throw new DomainError('INVALID_INPUT', `\`${o.dir}\` already holds a frost key (${p.threshold}-of-${p.verifyingShares.size}); --force replaces it with a new group key`);
  }
  const clients = parseSidecars(o.sidecars, await coordinatorKey(o.dir));
  const n = clients.length;
  const t = o.threshold ?? 2;
  if (o.participants !== undefined && o.participants !== n) throw new DomainError('INVALID_INPUT', `--participants ${o.participants} but --sidecars lists ${n}`);
  checkFrostConfig(t, n);
  if (existing && t < parsePublicPackage(existing).threshold) throw new DomainError('INVALID_INPUT', `lowering t below the key's ${parsePublicPackage(existing).threshold} is refused`);
  if (!clients.map((c) => c.id).sort((a, b) => a - b).every((id, i) => id === i + 1)) throw new DomainError('INVALID_INPUT', '--sidecars must name participants 1..n');
  const r = await runSidecarDkg({ kind: 'dkg', clients, threshold: t });
  const code = await settle(o.dir, r, t, 'keygen', o);
  o.print(`frost key frost:t-of-n:${t}-${n}, group key ${toHex(r.publicPackage.subarray(4, 36))}, made by sidecars ${r.committed.join(', ')} (each holds only its own share); public package \`${join(o.dir, 'public.json')}\``);
  return code;
}

export async function refreshSidecars(o: { dir: string; sidecars: string; threshold?: number } & Out): Promise<number> {
  const current = await requirePublic(o.dir);
  const p = parsePublicPackage(current);
  const t = o.threshold ?? p.threshold;
  if (t < p.threshold) throw new DomainError('INVALID_INPUT', `lowering t below the key's ${p.threshold} is refused`);
  if (t > p.threshold) throw new DomainError('INVALID_INPUT', `refresh keeps the frost threshold at ${p.threshold}: raise it with a new ceremony (\`kee signer keygen --force\`)`);
  const clients = parseSidecars(o.sidecars, await coordinatorKey(o.dir));
  const r = await runSidecarDkg({ kind: 'refresh', clients, threshold: t, current });
  const code = await settle(o.dir, r, t, 'refresh', o);
  o.print(`refreshed the shares of sidecars ${r.committed.join(', ')}: group key ${toHex(p.groupKey)} unchanged; restart the kernel (new verifying shares); FROST_RESHARD is recorded at its next start`);
  return code;
}

export async function repairSidecars(o: { dir: string; sidecars: string; lost: number } & Out): Promise<number> {
  const current = await requirePublic(o.dir);
  const p = parsePublicPackage(current);
  if (!p.verifyingShares.has(o.lost)) throw new DomainError('INVALID_INPUT', `participant \`${o.lost}\` is not in the group`);
  const clients = parseSidecars(o.sidecars, await coordinatorKey(o.dir));
  const lost = clients.find((c) => c.id === o.lost);
  if (!lost) throw new DomainError('INVALID_INPUT', `--sidecars must include participant ${o.lost} (serving with --ceremony, awaiting its key)`);
  const helpers = clients.filter((c) => c.id !== o.lost);
  if (helpers.length < p.threshold) throw new DomainError('INVALID_INPUT', `repair needs at least ${p.threshold} helpers in --sidecars, got ${helpers.length}`);
  const r = await runSidecarRepair({ helpers, lost, publicPackage: current });
  if (r.committed.length !== 1) throw new DomainError('SIGNER_FAILED', `participant ${o.lost} did not store its restored share: ${r.uncommitted.map((u) => u.message).join('; ')}`);
  await queueEvent(o.dir, r.transcript as unknown as { event_type: string } & Record<string, Json>);
  o.print(`restored the share of participant ${o.lost} inside its sidecar with the help of participants ${helpers.map((h) => h.id).join(', ')}; FROST_RESHARD is recorded at the kernel's next start`);
  return 0;
}
