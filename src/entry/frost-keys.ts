/**
 * FROST key ceremonies against the data directory (first start, `kee signer keygen`, `refresh`,
 * `repair`): run the ceremony in this process (each participant's share stays in its own WASM
 * handle), seal each share into its own file, write the public package, and queue the
 * transcript (no secrets) for the kernel journal.
 */
import { mkdir } from 'node:fs/promises';
import { runDkg, refreshShares, repairShare } from '../adapters/frost/ceremony.ts';
import { InProcessParticipant, unwrap } from '../adapters/frost/participant.ts';
import { parsePublicPackage } from '../adapters/frost/public-package.ts';
import type { KeeWasm } from '../adapters/wasm/load.ts';
import { DomainError } from '../kernel/errors.ts';
import type { Json } from '../kernel/types.ts';
import { queueEvent, readPublic, readShare, sharePath, writePublic, writeShare } from './frost-files.ts';

/** Seals every participant's share to its file (0600) and writes the public package. */
async function persist(dir: string, participants: readonly InProcessParticipant[], publicPackage: Uint8Array, kek: Uint8Array): Promise<void> {
  for (const p of participants) {
    const share = unwrap(p.handle.exportShare(), `participant ${p.id} export`);
    try {
      await writeShare(dir, p.id, share, kek);
    } finally {
      share.fill(0);
    }
  }
  await writePublic(dir, publicPackage);
}

/** Distributed key generation among n in-process participants; writes shares, public package, transcript. */
export async function generateKeys(dir: string, wasm: KeeWasm, kek: Uint8Array, config: { t: number; n: number }): Promise<{ participants: InProcessParticipant[]; publicPackage: Uint8Array; transcript: Record<string, Json> }> {
  const set = runDkg(wasm, config);
  await mkdir(dir, { recursive: true, mode: 0o700 });
  await persist(dir, set.participants, set.publicPackage, kek);
  const transcript = set.transcript as unknown as { event_type: string } & Record<string, Json>;
  await queueEvent(dir, transcript);
  return { participants: set.participants, publicPackage: set.publicPackage, transcript };
}

/** Opens every share file of the group; participants whose file is missing are left out. */
export async function loadParticipants(dir: string, wasm: KeeWasm, kek: Uint8Array, publicPackage: Uint8Array): Promise<{ participants: InProcessParticipant[]; missing: number[] }> {
  const ids = [...parsePublicPackage(publicPackage).verifyingShares.keys()];
  const participants: InProcessParticipant[] = [];
  const missing: number[] = [];
  for (const id of ids) {
    const share = await readShare(sharePath(dir, id), kek);
    if (!share) {
      missing.push(id);
      continue;
    }
    try {
      const handle = unwrap(wasm.FrostParticipant.importShare(share), `share file \`${sharePath(dir, id)}\``);
      if (handle.identifier !== id || !same(handle.publicPackage(), publicPackage)) {
        handle.free();
        throw new DomainError('INVALID_INPUT', `share file \`${sharePath(dir, id)}\` belongs to another group than \`public.json\``);
      }
      participants.push(new InProcessParticipant(handle));
    } finally {
      share.fill(0);
    }
  }
  return { participants, missing };
}

export async function requirePublic(dir: string): Promise<Uint8Array> {
  const pkg = await readPublic(dir);
  if (!pkg) throw new DomainError('INVALID_INPUT', `no frost key in \`${dir}\`: start the kernel once, or run \`kee signer keygen\``);
  return pkg;
}

/** Refreshes every share (same group key and t); old share files are overwritten. */
export async function refreshKeys(dir: string, wasm: KeeWasm, kek: Uint8Array): Promise<Record<string, Json>> {
  const pkg = await requirePublic(dir);
  const { participants, missing } = await loadParticipants(dir, wasm, kek, pkg);
  try {
    if (missing.length > 0) throw new DomainError('INVALID_INPUT', `share files of participants ${missing.join(', ')} are missing: repair them first (\`kee signer repair <id>\`)`);
    const next = refreshShares(participants);
    try {
      await persist(dir, next.participants, next.publicPackage, kek);
    } finally {
      for (const p of next.participants) p.free();
    }
    const transcript = next.transcript as unknown as { event_type: string } & Record<string, Json>;
    await queueEvent(dir, transcript);
    return transcript;
  } finally {
    for (const p of participants) p.free();
  }
}

/** Restores participant `lost`'s share file from the others (at least t). */
export async function repairKey(dir: string, wasm: KeeWasm, kek: Uint8Array, lost: number): Promise<Record<string, Json>> {
  const pkg = await requirePublic(dir);
  if (!parsePublicPackage(pkg).verifyingShares.has(lost)) throw new DomainError('INVALID_INPUT', `participant \`${lost}\` is not in the group`);
  const { participants } = await loadParticipants(dir, wasm, kek, pkg);
  try {
    const helpers = participants.filter((p) => p.id !== lost);
    const { participant, transcript } = repairShare(wasm, helpers, lost);
    try {
      await persist(dir, [participant], pkg, kek);
    } finally {
      participant.free();
    }
    const t = transcript as unknown as { event_type: string } & Record<string, Json>;
    await queueEvent(dir, t);
    return t;
  } finally {
    for (const p of participants) p.free();
  }
}

function same(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && a.every((x, i) => x === b[i]);
}
