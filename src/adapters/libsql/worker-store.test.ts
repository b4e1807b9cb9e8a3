import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { runStorageContract } from '../../../test/contract/storage.case.ts';
import { until } from '../../../test/support/until.ts';
import { openWorkerLibsqlStore, type WorkerStoreHandle } from '../../entry/open-worker-store.ts';
import { isDomainError } from '../../kernel/errors.ts';
import { MemoryStore } from '../memory/store.ts';
import { serveAuditStore, WorkerAuditStore, type StoreChannel } from './worker-store.ts';

const dir = mkdtempSync(join(tmpdir(), 'kee-libsql-worker-'));
let n = 0;
const handles: WorkerStoreHandle[] = [];
afterAll(async () => {
  for (const h of handles) await h.close();
});

runStorageContract('libsql in a worker thread (embedded file, WAL)', async () => {
  const h = await openWorkerLibsqlStore(`file:${join(dir, `t${n++}.db`)}`);
  handles.push(h);
  return h.store;
});

// the same protocol over a Web MessageChannel, serving the memory fake in this thread
runStorageContract('worker protocol over a Web MessageChannel (memory store)', async () => {
  const { port1, port2 } = new MessageChannel();
  serveAuditStore(new MemoryStore(), port2 as unknown as StoreChannel);
  return new WorkerAuditStore(port1 as unknown as StoreChannel);
});

describe('worker store', () => {
  it('answers only after the commit: a reply means the records are readable from a new connection', async () => {
    const file = join(dir, 'durable.db');
    const h = await openWorkerLibsqlStore(`file:${file}`);
    const s = { session_id: 's1', block_id: 'b'.repeat(32), agent_id: 'a', status: 'OPEN' as const, created_at: '2026-11-22T00:00:00.000Z' };
    const rec = (seq: number) => ({ sessionId: 's1', aleSeq: seq, aleType: 'CEDAR_PERMIT', canonical: `{"ale_seq":${seq}}`, hash: String(seq).padStart(64, '0') });
    await h.store.createSession(s, rec(1));
    await h.store.appendRecords([rec(2), rec(3)]);
    await h.close();
    const again = await openWorkerLibsqlStore(`file:${file}`);
    handles.push(again);
    expect((await again.store.listRecords('s1')).map((r) => r.aleSeq)).toEqual([1, 2, 3]);
  });

  it('rejects every pending and later call with GAR_UNAVAILABLE once the worker is gone', async () => {
    const h = await openWorkerLibsqlStore(`file:${join(dir, 'gone.db')}`);
    const pending = h.store.blockLogSize().then(() => 'answered', (e: unknown) => e);
    await h.close();
    const errs = await Promise.all([pending, h.store.getSession('x').catch((e: unknown) => e)]);
    // the first call may have been answered before the worker stopped; the later one cannot be
    expect(errs[0] === 'answered' || isDomainError(errs[0], 'GAR_UNAVAILABLE')).toBe(true);
    expect(isDomainError(errs[1], 'GAR_UNAVAILABLE')).toBe(true);
  });

  it('after the worker dies: GAR_UNAVAILABLE, then a new worker takes over with everything committed before', async () => {
    const h = await openWorkerLibsqlStore(`file:${join(dir, 'restart.db')}`);
    handles.push(h);
    const s = { session_id: 'r1', block_id: 'd'.repeat(32), agent_id: 'a', status: 'OPEN' as const, created_at: '2026-11-22T00:00:00.000Z' };
    const rec = (seq: number) => ({ sessionId: 'r1', aleSeq: seq, aleType: 'CEDAR_PERMIT', canonical: `{"ale_seq":${seq}}`, hash: String(seq).padStart(64, '0') });
    await h.store.createSession(s, rec(1));
    const first = h.worker();
    await first.terminate(); // as a crash would
    expect(isDomainError(await h.store.lastRecord('r1').catch((e: unknown) => e), 'GAR_UNAVAILABLE')).toBe(true);
    const last = await until('a new worker answering', () => h.store.lastRecord('r1').catch(() => null), { everyMs: 50 });
    expect(h.worker()).not.toBe(first);
    expect(last?.aleSeq).toBe(1);
    await h.store.appendRecords([rec(2)]);
    expect((await h.store.listRecords('r1')).map((r) => r.aleSeq)).toEqual([1, 2]);
  });

  it('keeps the DomainError code of a failed call (CONFLICT)', async () => {
    const { port1, port2 } = new MessageChannel();
    serveAuditStore(new MemoryStore(), port2 as unknown as StoreChannel);
    const store = new WorkerAuditStore(port1 as unknown as StoreChannel);
    const s = { session_id: 's', block_id: 'c'.repeat(32), agent_id: 'a', status: 'OPEN' as const, created_at: '2026-11-22T00:00:00.000Z' };
    const rec = { sessionId: 's', aleSeq: 1, aleType: 'SESSION_OPEN', canonical: '{}', hash: '0'.repeat(64) };
    await store.createSession(s, rec);
    const err = await store.appendRecords([rec]).catch((e: unknown) => e);
    expect(isDomainError(err, 'CONFLICT')).toBe(true);
    port1.close();
  });
  it('sends the calls of one turn as one message and the replies of one turn as one, each call answered in order', async () => {
    const { port1, port2 } = new MessageChannel();
    const sent: unknown[] = [];
    const replied: unknown[] = [];
    const counting = (port: MessagePort, log: unknown[]) => ({
      postMessage: (m: unknown) => (log.push(m), port.postMessage(m)),
      addEventListener: (t: 'message', l: (e: { data: unknown }) => void) => port.addEventListener(t, l as (e: MessageEvent) => void),
      start: () => port.start(),
    });
    serveAuditStore(new MemoryStore(), counting(port2, replied));
    const store = new WorkerAuditStore(counting(port1, sent));
    const sessions = Array.from({ length: 20 }, (_, i) => ({ session_id: `b${i}`, block_id: String(i).padStart(32, 'e'), agent_id: 'a', status: 'OPEN' as const, created_at: '2026-11-22T00:00:00.000Z' }));
    const rec = (sid: string, seq: number) => ({ sessionId: sid, aleSeq: seq, aleType: 'SESSION_OPEN', canonical: `{"s":"${sid}"}`, hash: String(seq).padStart(64, '0') });
    await Promise.all(sessions.map((s) => store.createSession(s, rec(s.session_id, 1))));
    expect(sent).toHaveLength(1);
    expect(sent[0]).toHaveLength(20);
    // a read in the same turn as the writes it follows sees them: calls are served in order
    const [, , got, missing] = await Promise.all([store.appendRecords([rec('b3', 2)]), store.appendRecords([rec('b3', 2)]).catch((e: unknown) => e), store.listRecords('b3'), store.getSession('nope')]);
    expect(sent).toHaveLength(2);
    expect(replied).toHaveLength(2);
    expect((got as { aleSeq: number }[]).map((r) => r.aleSeq)).toEqual([1, 2]);
    expect(missing).toBeNull();
    port1.close();
  });

  describe('sole writer: sessions kept in memory', () => {
    const session = (id: string) => ({ session_id: id, block_id: 'f'.repeat(32), agent_id: 'a', status: 'OPEN' as const, created_at: '2026-11-22T00:00:00.000Z' });
    const first = (sid: string) => ({ sessionId: sid, aleSeq: 1, aleType: 'SESSION_OPEN', canonical: '{}', hash: '0'.repeat(64) });
    /** A sole-writer store over a channel to `served`, and the operations that crossed it. */
    const soleStore = (served: MemoryStore) => {
      const { port1, port2 } = new MessageChannel();
      const ops: string[] = [];
      serveAuditStore(served, port2 as unknown as StoreChannel);
      const counting = {
        postMessage: (m: unknown) => {
          for (const c of Array.isArray(m) ? m : [m]) ops.push((c as { op: string }).op);
          port1.postMessage(m);
        },
        addEventListener: (t: 'message', l: (e: { data: unknown }) => void) => port1.addEventListener(t, l as (e: MessageEvent) => void),
        start: () => port1.start(),
      };
      return { store: new WorkerAuditStore(counting, { sole: true }), ops, close: () => port1.close() };
    };

    it('reads a session it created or read once without a round trip, and sees every status it wrote', async () => {
      const { store, ops, close } = soleStore(new MemoryStore());
      await store.createSession(session('k1'), first('k1'));
      expect(await store.getSession('k1')).toMatchObject({ session_id: 'k1', status: 'OPEN' });
      expect(ops.filter((o) => o === 'getSession')).toHaveLength(0);
      await store.appendRecords([{ ...first('k1'), aleSeq: 2, aleType: 'SESSION_COMPLETE', hash: '2'.repeat(64) }], [{ sessionId: 'k1', status: 'CLOSING' }]);
      expect((await store.getSession('k1'))?.status).toBe('CLOSING');
      await store.setSessionStatus('k1', 'TAMPERED');
      expect((await store.getSession('k1'))?.status).toBe('TAMPERED');
      expect((await store.getSession('k1'))?.status).toBe('TAMPERED');
      expect(ops.filter((o) => o === 'getSession')).toHaveLength(2);
      // a caller changing the object it got does not change what the store answers next
      const got = await store.getSession('k1');
      if (got) got.status = 'OPEN';
      expect((await store.getSession('k1'))?.status).toBe('TAMPERED');
      close();
    });

    it('never keeps an answer a later write of the session overtook (read sent, then a write, answers after it)', async () => {
      const served = new MemoryStore();
      const { store, close } = soleStore(served);
      await served.createSession(session('k2'), first('k2'));
      const [before] = await Promise.all([store.getSession('k2'), store.setSessionStatus('k2', 'TAMPERED')]);
      expect(before?.status).toBe('OPEN');
      expect((await store.getSession('k2'))?.status).toBe('TAMPERED');
      close();
    });

    it('forgets what it knew when the worker is gone: a write in flight may have committed', async () => {
      const served = new MemoryStore();
      const { store, close } = soleStore(served);
      await store.createSession(session('k3'), first('k3'));
      expect((await store.getSession('k3'))?.status).toBe('OPEN');
      // the row changes while no worker answers (a write whose reply was lost to the crash)
      store.fail('crashed');
      await served.setSessionStatus('k3', 'CLOSING');
      expect(isDomainError(await store.getSession('k3').catch((e: unknown) => e), 'GAR_UNAVAILABLE')).toBe(true);
      const { port1, port2 } = new MessageChannel();
      serveAuditStore(served, port2 as unknown as StoreChannel);
      store.attach(port1 as unknown as StoreChannel);
      expect((await store.getSession('k3'))?.status).toBe('CLOSING');
      close();
      port1.close();
    });
  });
});
