/**
 * Outage test (issue 3): the database becomes unwritable mid-load. The kernel must enter
 * SUSPENDED_GAR, answer 503 GAR_UNAVAILABLE instead of any decision it cannot record, never
 * return a PERMIT without its record, and return to NORMAL by itself when writes succeed again.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createLibsqlClient } from '../src/adapters/libsql/client.ts';
import Database from 'libsql';
import { describe, expect, it } from 'vitest';
import { openLibsqlStore } from '../src/adapters/libsql/open-libsql.ts';
import { openWorkerLibsqlStore } from '../src/entry/open-worker-store.ts';
import { findChainBreak } from '../src/kernel/audit/chain.ts';
import type { AuditStore } from '../src/ports/storage.ts';
import type { AuditRecord } from '../src/kernel/types.ts';
import { agentRead, classifyGold, makeHarness } from './support/harness.ts';
import { until } from './support/until.ts';

/** A store, and how to make its database refuse writes (and take them again). */
type Outage = { store: AuditStore; refuse: () => Promise<void>; accept: () => Promise<void>; close: () => Promise<void> };

// another process holds the write lock (the client reopens its connections after a failure, so
// a per-connection device such as PRAGMA query_only would not outlast the first failed write)
const inThread = async (file: string): Promise<Outage> => {
  const client = createLibsqlClient(`file:${file}`);
  const store = await openLibsqlStore(client, { embedded: true, busyTimeoutMs: 50 });
  const holder = new Database(file);
  holder.exec('PRAGMA busy_timeout = 5000');
  return {
    store,
    refuse: async () => void holder.exec('BEGIN IMMEDIATE'),
    accept: async () => void holder.exec('ROLLBACK'),
    close: async () => {
      holder.close();
      client.close();
    },
  };
};

// the npm start default: the worker thread's native writer; another process holds the write lock
const workerThread = async (file: string): Promise<Outage> => {
  const handle = await openWorkerLibsqlStore(`file:${file}`, { busyTimeoutMs: 50 });
  const holder = new Database(file);
  // taking the lock waits for a commit of the worker in progress (it is not the outage yet)
  holder.exec('PRAGMA busy_timeout = 5000');
  return {
    store: handle.store,
    refuse: async () => void holder.exec('BEGIN IMMEDIATE'),
    accept: async () => void holder.exec('ROLLBACK'),
    close: async () => {
      holder.close();
      await handle.close();
    },
  };
};

describe('audit store outage', () => {
  it.each([
    ['in-thread libSQL, the write lock held by another connection', inThread],
    ['libSQL in a worker thread, the write lock held by another connection', workerThread],
  ] as const)('suspends instead of deciding unrecorded, and recovers without restart (%s)', async (_name, open) => {
    const file = join(mkdtempSync(join(tmpdir(), 'kee-outage-')), 'kee.db');
    const outage = await open(file);
    const store = outage.store;
    const h = makeHarness({ store });
    const sessions = await Promise.all(Array.from({ length: 16 }, (_, i) => h.call('POST', '/v1/sessions', { agent_id: `a${i}` })));
    const ids = sessions.map((s) => s.json.session_id as string);

    const answered: { sid: string; status: number; body: any; phase: string }[] = [];
    let phase = 'before';
    const states = new Set<string>();
    let stop = false;
    const workers = ids.map(async (sid, w) => {
      let i = 0;
      while (!stop) {
        const r = await h.call('POST', `/v1/sessions/${sid}/authorize`, i++ % 3 ? agentRead(`w${w}`) : classifyGold(true));
        answered.push({ sid, status: r.status, body: r.json, phase });
        await new Promise((res) => setTimeout(res, 1));
      }
    });
    const watch = (async () => {
      while (!stop) {
        states.add((await h.call('GET', '/healthz')).json.state);
        await new Promise((res) => setTimeout(res, 5));
      }
    })();

    const state = async () => (await h.call('GET', '/healthz')).json.state as string;
    /** How many answers of `phase` with `status` the workers have had so far. */
    const count = (p: string, status: number) => answered.filter((a) => a.phase === p && a.status === status).length;

    // decisions flow before the outage (every worker has had a few answered)
    await until('decisions before the outage', () => count('before', 200) >= 3 * ids.length);
    phase = 'outage';
    await outage.refuse();
    // the first failed write suspends the kernel; the outage then lasts while workers keep asking
    const duringOutage = await until('SUSPENDED_GAR during the outage', async () => ((await state()) === 'SUSPENDED_GAR' ? 'SUSPENDED_GAR' : undefined));
    await until('503s answered during the outage, and seen by the healthz watcher', () => count('outage', 503) >= ids.length && states.has('SUSPENDED_GAR'));
    await outage.accept();
    phase = 'after';
    // the first committed write ends SUSPENDED_GAR; then decisions go on for a while
    await until('NORMAL with decisions after the outage', async () => (await state()) === 'NORMAL' && count('after', 200) >= 3 * ids.length);
    stop = true;
    await Promise.all([...workers, watch]);

    expect(duringOutage).toBe('SUSPENDED_GAR');
    expect(states.has('SUSPENDED_GAR')).toBe(true);
    expect((await h.call('GET', '/healthz')).json.state).toBe('NORMAL');
    // only decisions and 503s, never a 500
    for (const a of answered) {
      expect([200, 503]).toContain(a.status);
      if (a.status === 503) expect(a.body.code).toBe('GAR_UNAVAILABLE');
    }
    expect(answered.filter((a) => a.phase === 'outage' && a.status === 503).length).toBeGreaterThan(0);
    expect(answered.filter((a) => a.phase === 'after' && a.status === 200).length).toBeGreaterThan(0);
    // every decision that was returned has its record, with the same decision
    for (const sid of ids) {
      const recs = (await store.listRecords(sid)).map((r) => JSON.parse(r.canonical) as AuditRecord);
      const session = (await store.getSession(sid))!;
      expect(findChainBreak(h.merkle, recs, session)).toBeNull();
      for (const a of answered.filter((x) => x.sid === sid && x.status === 200)) {
        const rec = recs.find((r) => r.ale_seq === a.body.ale_seq);
        expect(rec?.decision, `decision ${sid}#${a.body.ale_seq} returned without its record`).toBe(a.body.decision);
      }
    }
    await outage.close();
  }, 60_000);
});
