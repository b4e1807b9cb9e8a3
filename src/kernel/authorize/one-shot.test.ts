import { describe, expect, it, vi } from 'vitest';
import { DomainError } from '../errors.ts';
import type { Session } from '../types.ts';
import { OneShotSessions, oneShotAgentId, type OneShotPort } from './one-shot.ts';

/** A port whose sessions are plain objects; closes can be made to fail. */
function fakePort() {
  let n = 0;
  const opened: Session[] = [];
  const closed: string[] = [];
  let failCloses = 0;
  const port: OneShotPort = {
    open: async (agentId) => {
      const s: Session = { session_id: `s${++n}`, block_id: `b${n}`, agent_id: agentId, status: 'OPEN', created_at: '' };
      opened.push(s);
      return s;
    },
    close: async (id) => {
      if (failCloses > 0) {
        failCloses--;
        throw new DomainError('UNAVAILABLE', 'signer out');
      }
      closed.push(id);
    },
    nowMs: () => 0,
  };
  return { port, opened, closed, failNextCloses: (k: number) => void (failCloses = k) };
}

describe('OneShotSessions', () => {
  it('names the managed session by the principal uid', () => {
    expect(oneShotAgentId({ type: 'Agent', id: 'a"1' })).toBe('Agent::"a\\"1"');
  });

  it('concurrent decisions of one principal share one session', async () => {
    const f = fakePort();
    const m = new OneShotSessions(f.port);
    const got = await Promise.all([1, 2, 3].map(() => m.run('A', 1, async (s) => s.session_id)));
    expect(new Set(got.map((g) => g.value))).toEqual(new Set(['s1']));
    expect(f.opened).toHaveLength(1);
  });

  it('past maxOpen, the oldest session is closed', async () => {
    const f = fakePort();
    const m = new OneShotSessions(f.port, { maxOpen: 2 });
    for (const a of ['A', 'B', 'C']) await m.run(a, 1, async () => undefined);
    expect(m.openCount()).toBe(2);
    await m.closeAll();
    expect(f.closed).toEqual(['s1', 's2', 's3']);
  });

  it('a close that fails is tried again by the next sweep', async () => {
    const f = fakePort();
    const m = new OneShotSessions(f.port, { maxRecords: 1 });
    f.failNextCloses(1);
    await m.run('A', 1, async () => undefined);
    await m.closeAll();
    expect(f.closed).toEqual(['s1']);
    f.failNextCloses(1);
    await m.run('B', 1, async () => undefined);
    // let the failed close settle, then the sweep retries it
    await new Promise((r) => setTimeout(r, 0));
    expect(f.closed).toEqual(['s1']);
    m.sweep();
    await new Promise((r) => setTimeout(r, 0));
    expect(f.closed).toEqual(['s1', 's2']);
  });

  it('a decision whose session was closed under it is retried in a fresh one', async () => {
    const f = fakePort();
    const m = new OneShotSessions(f.port);
    let calls = 0;
    const r = await m.run('A', 1, async (s) => {
      if (calls++ === 0) throw new DomainError('SESSION_CLOSED', 'closed');
      return s.session_id;
    });
    expect(r.value).toBe('s2');
    await m.closeAll();
    expect(f.closed.sort()).toEqual(['s1', 's2']);
  });

  it('the sweep timer (started by the first decision) closes a session past its age without another decision', async () => {
    vi.useFakeTimers();
    try {
      const f = fakePort();
      let now = 0;
      const m = new OneShotSessions({ ...f.port, nowMs: () => now }, { maxAgeMs: 60_000 });
      await m.run('A', 1, async () => undefined);
      now = 60_000;
      await vi.advanceTimersByTimeAsync(15_000);
      expect(f.closed).toEqual(['s1']);
      expect(m.openCount()).toBe(0);
      m.stop();
    } finally {
      vi.useRealTimers();
    }
  });

  it('without shared promises (workerd) no timer is started: a session past its age is closed by the next decision', async () => {
    vi.useFakeTimers();
    try {
      const f = fakePort();
      let now = 0;
      const m = new OneShotSessions({ ...f.port, nowMs: () => now }, { maxAgeMs: 60_000 }, false);
      await m.run('A', 1, async () => undefined);
      now = 60_000;
      await vi.advanceTimersByTimeAsync(60_000);
      expect(f.closed).toEqual([]);
      const next = await m.run('A', 1, async (s) => s.session_id);
      expect(next.value).toBe('s2');
      // closed inside that decision's call
      expect(f.closed).toEqual(['s1']);
    } finally {
      vi.useRealTimers();
    }
  });

  it('a session that fails to open is forgotten: the next decision opens again', async () => {
    const f = fakePort();
    let fail = true;
    const open = f.port.open;
    const m = new OneShotSessions({ ...f.port, open: (a) => (fail ? Promise.reject(new DomainError('GAR_UNAVAILABLE', 'down')) : open(a)) });
    await expect(m.run('A', 1, async () => 1)).rejects.toThrow('down');
    fail = false;
    expect((await m.run('A', 1, async (s) => s.session_id)).value).toBe('s1');
  });
});
