import { describe, expect, it } from 'vitest';
import { JsMerkle } from '../../adapters/memory/js-merkle.ts';
import { MemoryStore } from '../../adapters/memory/store.ts';
import { Ed25519Signer, ed25519Verifier } from '../../adapters/noble/ed25519.ts';
import { systemClock } from '../../adapters/system/clock.ts';
import { isDomainError } from '../errors.ts';
import { toHex } from '../hex.ts';
import { base64, checkpointBody, noteKeyId, signedNote } from './checkpoint.ts';
import { CHECKPOINT_DOCUMENT_KIND, CheckpointLog } from './checkpoint-log.ts';
import type { KernelJournal } from './journal.ts';

const merkle = new JsMerkle();
const origin = 'kee.test/log';
const leaves = (n: number, salt = 0) => Array.from({ length: n }, (_, i) => merkle.sha256(Uint8Array.of(0, i, salt)));

async function signed(signer: Ed25519Signer, hashes: Uint8Array[]) {
  const root = merkle.rootFromLeafHashes(hashes);
  const body = checkpointBody(origin, hashes.length, root);
  const note = signedNote(body, origin, noteKeyId(merkle, origin, signer.publicKey()), await signer.sign(new TextEncoder().encode(body)));
  return { cp: { origin, size: hashes.length, root: base64(root), note }, root };
}

function setup(trusted: Ed25519Signer[]) {
  const store = new MemoryStore();
  const anomalies: Record<string, unknown>[] = [];
  const journal = { anomaly: async (event_type: string, fields: Record<string, unknown>) => void anomalies.push({ event_type, ...fields }) } as unknown as KernelJournal;
  const log = new CheckpointLog({ store, merkle, verifier: ed25519Verifier, clock: systemClock, journal, io: (op) => op(), trustedKeys: () => new Set(trusted.map((s) => toHex(s.publicKey()))) });
  return { store, log, anomalies };
}

describe('CheckpointLog: the kernel never signs a block log that does not extend its last checkpoint', () => {
  it('accepts growth proved consistent, serves a size already signed from the store, refuses a rewrite', async () => {
    const key = new Ed25519Signer(Ed25519Signer.generateSeed());
    const { log, anomalies } = setup([key]);
    const first = await signed(key, leaves(3));
    expect(await log.extends(leaves(3), first.root)).toBeNull(); // nothing stored yet
    await log.record(first.cp, key.publicKey());
    expect(await log.extends(leaves(3), first.root)).toEqual(first.cp);
    expect(await log.extends(leaves(7), merkle.rootFromLeafHashes(leaves(7)))).toBeNull();
    const rewritten = [...leaves(3, 1), ...leaves(7).slice(3)];
    const err = await log.extends(rewritten, merkle.rootFromLeafHashes(rewritten)).catch((e: unknown) => e);
    expect(isDomainError(err, 'AUDIT_TAMPERED')).toBe(true);
    expect(anomalies).toEqual([expect.objectContaining({ event_type: 'BLOCK_LOG_INCONSISTENT', checkpoint_size: 3, log_size: 7 })]);
  });

  it('another instance signed the same size first: its checkpoint is kept when the root is the same, refused when not', async () => {
    const a = new Ed25519Signer(Ed25519Signer.generateSeed());
    const b = new Ed25519Signer(Ed25519Signer.generateSeed());
    const { log, store } = setup([a, b]);
    const theirs = await signed(a, leaves(4));
    await log.record(theirs.cp, a.publicKey());
    expect(await log.record((await signed(b, leaves(4))).cp, b.publicKey())).toEqual(theirs.cp);
    const other = await signed(b, leaves(4, 2));
    expect(isDomainError(await log.record(other.cp, b.publicKey()).catch((e: unknown) => e), 'AUDIT_TAMPERED')).toBe(true);
    expect((await store.getDocument(CHECKPOINT_DOCUMENT_KIND, 4))?.docId).toBe(theirs.cp.root);
  });

  it('a stored checkpoint signed by a key neither the kernel nor its manifests declare does not count', async () => {
    const mallory = new Ed25519Signer(Ed25519Signer.generateSeed());
    const { log, store } = setup([new Ed25519Signer(Ed25519Signer.generateSeed())]);
    const forged = await signed(mallory, leaves(2));
    await store.putDocument({ kind: CHECKPOINT_DOCUMENT_KIND, seq: 2, docId: forged.cp.root, body: JSON.stringify({ ...forged.cp, public_key: toHex(mallory.publicKey()) }), createdAt: systemClock.nowIso() });
    const err = await log.extends(leaves(2), forged.root).catch((e: unknown) => e);
    expect(isDomainError(err, 'AUDIT_TAMPERED')).toBe(true);
    expect((err as Error).message).toContain('a key the kernel and its manifests do not declare');
  });
});
