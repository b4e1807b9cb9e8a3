import { describe, expect, it } from 'vitest';
import { MemoryStore } from '../memory/store.ts';
import type { SessionStatus } from '../../kernel/types.ts';
import { SessionCachingStore } from './session-cache.ts';

const session = (id: string) => ({ session_id: id, block_id: 'f'.repeat(32), agent_id: 'a', status: 'OPEN' as const, created_at: '2026-12-06T00:00:00.000Z' });
const first = (sid: string) => ({ sessionId: sid, aleSeq: 1, aleType: 'SESSION_OPEN', canonical: '{}', hash: '0'.repeat(64) });

/** A memory store whose status writes wait for `release()`, and that counts session reads. */
class SlowWrites extends MemoryStore {
  reads = 0;
  private gates: (() => void)[] = [];
  override async getSession(sessionId: string) {
    this.reads++;
    return super.getSession(sessionId);
  }
  override async setSessionStatus(sessionId: string, status: SessionStatus) {
    await new Promise<void>((r) => this.gates.push(r));
    return super.setSessionStatus(sessionId, status);
  }
  release(): void {
    for (const g of this.gates.splice(0)) g();
  }
}

describe('SessionCachingStore (a sole writer keeps its sessions in memory)', () => {
  it('answers a session it created or read from memory, and never a status older than one it wrote', async () => {
    const inner = new SlowWrites();
    const store = new SessionCachingStore(inner);
    await store.createSession(session('c1'), first('c1'));
    expect((await store.getSession('c1'))?.status).toBe('OPEN');
    expect(inner.reads).toBe(0);
    await store.appendRecords([{ ...first('c1'), aleSeq: 2, hash: '2'.repeat(64) }], [{ sessionId: 'c1', status: 'CLOSING' }]);
    expect((await store.getSession('c1'))?.status).toBe('CLOSING');
    expect((await store.getSession('c1'))?.status).toBe('CLOSING');
    expect(inner.reads).toBe(1);
    // a caller changing the object it got does not change what the store answers next
    const got = await store.getSession('c1');
    if (got) got.status = 'OPEN';
    expect((await store.getSession('c1'))?.status).toBe('CLOSING');
  });

  it('keeps no read made while a write of the session is in flight (the read may predate the write)', async () => {
    const inner = new SlowWrites();
    const store = new SessionCachingStore(inner);
    await inner.createSession(session('c2'), first('c2'));
    const write = store.setSessionStatus('c2', 'TAMPERED');
    // the store answers the read before the write is applied: the old status, not to be kept
    expect((await store.getSession('c2'))?.status).toBe('OPEN');
    inner.release();
    await write;
    expect((await store.getSession('c2'))?.status).toBe('TAMPERED');
    expect((await store.getSession('c2'))?.status).toBe('TAMPERED');
  });

  it('keeps nothing of a write that failed: the next read asks the store', async () => {
    const inner = new MemoryStore();
    const store = new SessionCachingStore(inner);
    await store.createSession(session('c3'), first('c3'));
    await expect(store.createSession(session('c3'), first('c3'))).rejects.toThrow();
    expect((await store.getSession('c3'))?.status).toBe('OPEN');
    expect(await store.getSession('nope')).toBeNull();
  });
});
