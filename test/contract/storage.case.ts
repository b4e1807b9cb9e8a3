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
      await store.appendRecord(rec(s, 2));
      await store.appendRecord(rec(s, 3));
      const dup = await store.appendRecord(rec(s, 3)).catch((e: unknown) => e);
      expect(isDomainError(dup, 'CONFLICT')).toBe(true);
      expect((await store.listRecords(s.session_id)).map((r) => r.aleSeq)).toEqual([1, 2, 3]);
      expect((await store.lastRecord(s.session_id))?.aleSeq).toBe(3);
    });

    it('sets the session status with an append, and stores a block closing the session', async () => {
      const store = await make();
      const s = session(4);
      await store.createSession(s, rec(s, 1));
      await store.appendRecord(rec(s, 2, 'SESSION_COMPLETE'), 'CLOSING');
      expect((await store.getSession(s.session_id))?.status).toBe('CLOSING');
      await store.storeBlock(block(s));
      expect((await store.getSession(s.session_id))?.status).toBe('CLOSED');
      expect(await store.getBlock(s.block_id)).toEqual(block(s));
      expect(await store.getBlock('f'.repeat(32))).toBeNull();
      const again = await store.storeBlock(block(s)).catch((e: unknown) => e);
      expect(isDomainError(again, 'CONFLICT')).toBe(true);
    });

    it('keeps sessions apart', async () => {
      const store = await make();
      const a = session(5);
      const b = session(6);
      await store.createSession(a, rec(a, 1));
      await store.createSession(b, rec(b, 1));
      await store.appendRecord(rec(a, 2));
      expect((await store.listRecords(b.session_id)).length).toBe(1);
      expect((await store.listRecords(a.session_id)).length).toBe(2);
    });
  });
}
