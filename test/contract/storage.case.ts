import { describe, expect, it } from 'vitest';
import { isDomainError } from '../../src/kernel/errors.ts';
import type { Session, SessionBlock } from '../../src/kernel/types.ts';
import type { AuditStore, StoredRecord } from '../../src/ports/storage.ts';

/** The AuditStore contract: every implementation (memory fake, libSQL, D1 …) runs it. */
export function runStorageContract(name: string, make: () => Promise<AuditStore>): void {
  const session = (n: number): Session => ({
    session_id: `00000000-0000-4000-8000-${String(n).padStart(12, '0')}`,
    block_id: n.toString(16).padStart(32, '0'),
    agent_id: `agent-${n}`,
    status: 'OPEN',
    created_at: '2026-11-22T00:00:00.000Z',
  });
  const rec = (s: Session, seq: number, type = 'CEDAR_PERMIT'): StoredRecord => ({
    sessionId: s.session_id,
    aleSeq: seq,
    aleType: type,
    canonical: `{"ale_seq":${seq}}`,
    hash: seq.toString(16).padStart(64, '0'),
  });
  const block = (s: Session): SessionBlock => ({
    block_id: s.block_id,
    session_id: s.session_id,
    merkle_root: 'ab'.repeat(32),
    block_close_timestamp: '2026-11-22T00:00:01.000Z',
    record_count: 2,
    block_signature: { algorithm: 'Ed25519', key_id: 'cd'.repeat(32), public_key: 'ef'.repeat(32), signature: '01'.repeat(64) },
  });

  describe(`AuditStore contract: ${name}`, () => {
    it('creates a session with its first record and reads them back', async () => {
      const store = await make();
      const s = session(1);
      await store.createSession(s, rec(s, 1, 'SESSION_OPEN'));
      expect(await store.getSession(s.session_id)).toEqual(s);
      expect(await store.lastRecord(s.session_id)).toEqual(rec(s, 1, 'SESSION_OPEN'));
      expect(await store.getSession(session(2).session_id)).toBeNull();
      expect(await store.lastRecord(session(2).session_id)).toBeNull();
    });

    it('appends in order, refuses a duplicate ale_seq, and lists by ale_seq', async () => {
      const store = await make();
      const s = session(3);
      await store.createSession(s, rec(s, 1));
      await store.appendRecords([rec(s, 2)]);
      await store.appendRecords([rec(s, 3)]);
      const dup = await store.appendRecords([rec(s, 3)]).catch((e: unknown) => e);
      expect(isDomainError(dup, 'CONFLICT')).toBe(true);
      expect((await store.listRecords(s.session_id)).map((r) => r.aleSeq)).toEqual([1, 2, 3]);
      expect((await store.lastRecord(s.session_id))?.aleSeq).toBe(3);
    });

    it('sets the session status with an append, and stores a block closing the session', async () => {
      const store = await make();
      const s = session(4);
      await store.createSession(s, rec(s, 1));
      await store.appendRecords([rec(s, 2, 'SESSION_COMPLETE')], [{ sessionId: s.session_id, status: 'CLOSING' }]);
      expect((await store.getSession(s.session_id))?.status).toBe('CLOSING');
      const leaf = { index: 0, blockId: s.block_id, leafHash: '11'.repeat(32) };
      await store.storeBlock(block(s), leaf);
      expect((await store.getSession(s.session_id))?.status).toBe('CLOSED');
      expect(await store.getBlock(s.block_id)).toEqual(block(s));
      expect(await store.getBlock('f'.repeat(32))).toBeNull();
      expect(await store.blockLogSize()).toBe(1);
      expect(await store.blockLogLeaf(s.block_id)).toEqual(leaf);
      const again = await store.storeBlock(block(s), { ...leaf, index: 1 }).catch((e: unknown) => e);
      expect(isDomainError(again, 'CONFLICT')).toBe(true);
      expect(await store.blockLogSize()).toBe(1);
      // a closed session's records stay readable (packages, audit reads)
      expect((await store.listRecords(s.session_id)).map((r) => r.aleSeq)).toEqual([1, 2]);
      expect(await store.lastRecord(s.session_id)).toEqual(rec(s, 2, 'SESSION_COMPLETE'));
    });

    it('group-commits records of many sessions in one transaction: all or none', async () => {
      const store = await make();
      const a = session(7);
      const b = session(8);
      await store.createSession(a, rec(a, 1));
      await store.createSession(b, rec(b, 1));
      const many = [...Array.from({ length: 1200 }, (_, i) => rec(a, i + 2)), rec(b, 2), rec(b, 3)];
      await store.appendRecords(many, [{ sessionId: b.session_id, status: 'CLOSING' }]);
      expect((await store.listRecords(a.session_id)).length).toBe(1201);
      expect((await store.lastRecord(a.session_id))?.aleSeq).toBe(1201);
      expect((await store.getSession(b.session_id))?.status).toBe('CLOSING');
      // one duplicate anywhere rolls back the whole batch, status changes included
      const bad = await store.appendRecords([rec(a, 1202), rec(b, 4), rec(b, 3)], [{ sessionId: a.session_id, status: 'CLOSING' }]).catch((e: unknown) => e);
      expect(isDomainError(bad, 'CONFLICT')).toBe(true);
      expect((await store.lastRecord(a.session_id))?.aleSeq).toBe(1201);
      expect((await store.lastRecord(b.session_id))?.aleSeq).toBe(3);
      expect((await store.getSession(a.session_id))?.status).toBe('OPEN');
      await store.setSessionStatus(a.session_id, 'TAMPERED');
      expect((await store.getSession(a.session_id))?.status).toBe('TAMPERED');
    });

    it('stores a batch of interleaved sessions, each record exactly as given', async () => {
      const store = await make();
      const ss = [21, 22, 23, 24, 25].map(session);
      for (const s of ss) await store.createSession(s, rec(s, 1, 'SESSION_OPEN'));
      // sessions interleaved in an order unlike their ids, more rows than one INSERT holds,
      // and every field distinct per record: a row assembled from two records shows up
      const distinct = (s: Session, seq: number): StoredRecord => ({
        sessionId: s.session_id,
        aleSeq: seq,
        aleType: `T${seq % 7}`,
        canonical: `{"ale_seq":${seq},"session_id":"${s.session_id}"}`,
        hash: `${s.session_id.slice(-4)}${seq.toString(16).padStart(60, '0')}`,
      });
      const order = [3, 0, 4, 1, 2];
      const batch: StoredRecord[] = [];
      for (let seq = 2; seq <= 241; seq++) for (const i of order) batch.push(distinct(ss[i] as Session, seq));
      await store.appendRecords(batch);
      for (const s of ss) {
        const got = await store.listRecords(s.session_id);
        expect(got).toEqual([rec(s, 1, 'SESSION_OPEN'), ...Array.from({ length: 240 }, (_, k) => distinct(s, k + 2))]);
      }
    });

    it('keeps the block log in index order', async () => {
      const store = await make();
      const ids = [10, 11, 12].map(session);
      for (const [i, s] of ids.entries()) {
        await store.createSession(s, rec(s, 1));
        await store.storeBlock(block(s), { index: i, blockId: s.block_id, leafHash: String(i).repeat(64) });
      }
      expect(await store.blockLogSize()).toBe(3);
      expect((await store.blockLogLeaves(1, 3)).map((l) => l.index)).toEqual([1, 2]);
      expect((await store.blockLogLeaves(0, 10)).map((l) => l.blockId)).toEqual(ids.map((s) => s.block_id));
    });

    it('keeps the FROST participants of a block signature exactly (the block-log leaf hashes the whole block)', async () => {
      const store = await make();
      const [a, b] = [20, 21].map(session) as [Session, Session];
      const frost = { ...block(a), block_signature: { ...block(a).block_signature, participants: [1, 3] } };
      for (const [i, [s, blk]] of ([[a, frost], [b, block(b)]] as const).entries()) {
        await store.createSession(s, rec(s, 1));
        await store.storeBlock(blk, { index: i, blockId: s.block_id, leafHash: String(i).repeat(64) });
      }
      expect(await store.getBlock(a.block_id)).toEqual(frost);
      expect(await store.getBlock(b.block_id)).toEqual(block(b));
      expect((await store.getBlock(b.block_id))?.block_signature).not.toHaveProperty('participants');
    });

    it('keeps sessions apart', async () => {
      const store = await make();
      const a = session(5);
      const b = session(6);
      await store.createSession(a, rec(a, 1));
      await store.createSession(b, rec(b, 1));
      await store.appendRecords([rec(a, 2)]);
      expect((await store.listRecords(b.session_id)).length).toBe(1);
      expect((await store.listRecords(a.session_id)).length).toBe(2);
    });

    it('lists sessions by status', async () => {
      const store = await make();
      const [a, b, c] = [session(21), session(22), session(23)];
      for (const s of [a, b, c]) await store.createSession(s, rec(s, 1, 'SESSION_OPEN'));
      await store.appendRecords([rec(b, 2, 'SESSION_COMPLETE'), rec(c, 2, 'SESSION_COMPLETE')], [{ sessionId: b.session_id, status: 'CLOSING' }, { sessionId: c.session_id, status: 'CLOSING' }]);
      const closing = await store.sessionsWithStatus('CLOSING', 10);
      expect(closing.map((s) => s.session_id).sort()).toEqual([b.session_id, c.session_id].sort());
      expect(closing.find((s) => s.session_id === b.session_id)).toEqual({ ...b, status: 'CLOSING' });
      expect(await store.sessionsWithStatus('CLOSING', 1)).toHaveLength(1);
      expect((await store.sessionsWithStatus('OPEN', 10)).map((s) => s.session_id)).toEqual([a.session_id]);
      expect(await store.sessionsWithStatus('TAMPERED', 10)).toEqual([]);
    });

    it('keeps documents per kind, newest by seq, refusing a second (kind, seq)', async () => {
      const store = await make();
      expect(await store.latestDocument('gec_manifest')).toBeNull();
      const doc = (kind: string, seq: number) => ({ kind, seq, docId: `${kind}-${seq}`, body: `{"seq":${seq},"kind":"${kind}","text":"ü \\u2028"}`, createdAt: '2026-11-22T00:00:00.000Z' });
      await store.putDocument(doc('gec_manifest', 1));
      await store.putDocument(doc('gec_manifest', 2));
      await store.putDocument(doc('cap_profile', 7));
      expect(await store.latestDocument('gec_manifest')).toEqual(doc('gec_manifest', 2));
      expect(await store.latestDocument('cap_profile')).toEqual(doc('cap_profile', 7));
      expect(await store.getDocument('gec_manifest', 1)).toEqual(doc('gec_manifest', 1));
      expect(await store.getDocument('gec_manifest', 3)).toBeNull();
      const dup = await store.putDocument({ ...doc('gec_manifest', 2), body: '{}' }).catch((e: unknown) => e);
      expect(isDomainError(dup) && dup.code).toBe('CONFLICT');
      expect((await store.latestDocument('gec_manifest'))?.body).toBe(doc('gec_manifest', 2).body);
    });

    it('lists the documents of one kind from a seq on, in seq order, at most `limit`', async () => {
      const store = await make();
      const doc = (kind: string, seq: number) => ({ kind, seq, docId: `agent-${seq}`, body: `{"seq":${seq}}`, createdAt: '2026-11-22T00:00:00.000Z' });
      expect(await store.listDocuments('agent_registry', 1, 10)).toEqual([]);
      // stored out of order, with another kind between them
      for (const seq of [3, 1, 12, 2]) await store.putDocument(doc('agent_registry', seq));
      await store.putDocument(doc('gec_manifest', 5));
      expect((await store.listDocuments('agent_registry', 1, 10)).map((d) => d.seq)).toEqual([1, 2, 3, 12]);
      expect(await store.listDocuments('agent_registry', 2, 2)).toEqual([doc('agent_registry', 2), doc('agent_registry', 3)]);
      expect((await store.listDocuments('agent_registry', 4, 10)).map((d) => d.seq)).toEqual([12]);
      expect(await store.listDocuments('agent_registry', 13, 10)).toEqual([]);
      expect((await store.listDocuments('gec_manifest', 0, 10)).map((d) => d.seq)).toEqual([5]);
    });
  });
}
