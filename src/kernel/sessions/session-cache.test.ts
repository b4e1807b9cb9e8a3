/**
 * The session cache of a store no other kernel writes (`withSessionCache`, wired for the embedded
 * libSQL file): a session is read from the store once, and every status change made through the
 * store (close, tampering mark, a failed write too) is seen by the very next call.
 */
import { describe, expect, it } from 'vitest';
import { MemoryStore } from '../../adapters/memory/store.ts';
import { agentRead, makeHarness } from '../../../test/support/harness.ts';
import type { Session } from '../types.ts';
import { withSessionCache } from './session-cache.ts';

/** A MemoryStore counting its session reads, whose next read can be held until released. */
class CountingStore extends MemoryStore {
  reads = 0;
  hold: Promise<void> | null = null;
  override async getSession(sessionId: string): Promise<Session | null> {
    this.reads++;
    const read = await super.getSession(sessionId);
    if (this.hold) await this.hold;
    return read;
  }
}

describe('withSessionCache', () => {
  it('reads a session once; a close through the kernel and a TAMPERED mark are refused at the next call', async () => {
    const inner = new CountingStore();
    const store = withSessionCache(inner);
    const h = makeHarness({ store });
    const open = async () => (await h.call('POST', '/v1/sessions', { agent_id: 'agent-1' })).json as { session_id: string };
    const authorize = (id: string) => h.call('POST', `/v1/sessions/${id}/authorize`, agentRead());

    const a = await open();
    expect((await authorize(a.session_id)).status).toBe(200);
    const reads = inner.reads;
    for (let i = 0; i < 3; i++) expect((await authorize(a.session_id)).json.decision).toBe('PERMIT');
    expect(inner.reads).toBe(reads); // from memory
    expect((await h.call('POST', `/v1/sessions/${a.session_id}/close`)).status).toBe(200);
    const closed = await authorize(a.session_id);
    expect([closed.status, closed.json.code]).toEqual([409, 'SESSION_CLOSED']);

    const b = await open();
    expect((await authorize(b.session_id)).status).toBe(200);
    await store.setSessionStatus(b.session_id, 'TAMPERED');
    expect((await authorize(b.session_id)).json.code).toBe('AUDIT_TAMPERED');
    expect((await inner.getSession(b.session_id))?.status).toBe('TAMPERED');
    expect((await store.getSession('nope'))).toBeNull();
  });

  it('keeps no read that overlapped a status write, and drops a session whose status write failed', async () => {
    const inner = new CountingStore();
    const store = withSessionCache(inner);
    const session: Session = { session_id: 's1', block_id: 'b1', agent_id: 'a', status: 'OPEN', created_at: '2026-12-06T00:00:00.000Z' };
    await store.createSession(session, { sessionId: 's1', aleSeq: 1, aleType: 'SESSION_OPEN', hash: 'h', canonical: '{}' } as never);
    // a read in flight while the status changes answers OPEN (what the store held), and is not kept
    let release = () => {};
    inner.hold = new Promise((r) => (release = r));
    const overlapping = store.getSession('s1');
    await new Promise((r) => setTimeout(r, 0));
    inner.hold = null;
    await store.setSessionStatus('s1', 'CLOSING');
    release();
    expect((await overlapping)?.status).toBe('OPEN');
    expect((await store.getSession('s1'))?.status).toBe('CLOSING');
    // now cached; a failing status write still drops it
    const reads = inner.reads;
    expect((await store.getSession('s1'))?.status).toBe('CLOSING');
    expect(inner.reads).toBe(reads);
    const failing = withSessionCache(Object.assign(inner, { setSessionStatus: async () => Promise.reject(new Error('disk full')) }));
    expect((await failing.getSession('s1'))?.status).toBe('CLOSING');
    await expect(failing.setSessionStatus('s1', 'TAMPERED')).rejects.toThrow('disk full');
    const before = inner.reads;
    await failing.getSession('s1');
    expect(inner.reads).toBe(before + 1);
    // answers are copies
    const copy = (await store.getSession('s1')) as Session;
    copy.status = 'CLOSED';
    expect((await store.getSession('s1'))?.status).toBe('CLOSING');
  });
});
