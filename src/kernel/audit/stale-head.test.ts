import { describe, expect, it } from 'vitest';
import { MemoryStore } from '../../adapters/memory/store.ts';
import { systemClock } from '../../adapters/system/clock.ts';
import { wasmMerkle } from '../../../test/support/wasm.ts';
import type { Clock } from '../../ports/clock.ts';
import type { AuditStore, StatusChange, StoredRecord } from '../../ports/storage.ts';
import type { Telemetry } from '../../ports/telemetry.ts';
import { isDomainError } from '../errors.ts';
import { KernelState } from '../state/kernel-state.ts';
import type { AuditRecord } from '../types.ts';
import { AuditLog, type SessionRef } from './audit-log.ts';
import { findChainBreak } from './chain.ts';

/**
 * Two kernel instances on one store (a cluster): A appends to a session behind B's back, so B's
 * cached head for it is stale, and B's group-commit batch fails with CONFLICT. Only the stale
 * session's record may be built again; the records of the other sessions in the batch are sent
 * again unchanged and are never charged an attempt.
 */

const telemetry: Telemetry = { span: async (_n, _o, fn) => fn({ setAttributes: () => undefined }) };

type Call = { records: StoredRecord[]; ok: boolean };

function setup() {
  const store = new MemoryStore();
  const merkle = wasmMerkle();
  const calls: Call[] = [];
  /** Runs before each of B's transactions (the other instance appending meanwhile). */
  let before: (records: readonly StoredRecord[]) => Promise<void> = async () => undefined;
  // B's view of the shared store: the same data, its transactions recorded
  const seen = new Proxy(store, {
    get(target, prop) {
      if (prop === 'appendRecords') {
        return async (records: readonly StoredRecord[], statuses?: readonly StatusChange[]) => {
          await before(records);
          const call: Call = { records: [...records], ok: false };
          calls.push(call);
          await target.appendRecords(records, statuses);
          call.ok = true;
        };
      }
      const v = Reflect.get(target, prop) as unknown;
      return typeof v === 'function' ? (v as (...a: unknown[]) => unknown).bind(target) : v;
    },
  }) as AuditStore;
  // B's clock counts the records B builds (one reading per build)
  let builds = 0;
  const clock: Clock = { ...systemClock, nowIso: () => (builds++, systemClock.nowIso()) };
  // A commits each record alone, reading the head from the store: it is never stale itself
  const a = new AuditLog({ store, merkle, clock: systemClock, telemetry, state: new KernelState(), kernelId: 'A', groupCommit: false });
  const b = new AuditLog({ store: seen, merkle, clock, telemetry, state: new KernelState(), kernelId: 'B' });
  const open = async (name: string): Promise<SessionRef> => {
    const s = { session_id: name, block_id: Buffer.from(name).toString('hex').padStart(32, '0') };
    await a.createSession(s, 'SESSION_OPEN', {}, (first) => store.createSession({ ...s, agent_id: 'x', status: 'OPEN', created_at: systemClock.nowIso() }, first));
    return s;
  };
  const chain = async (s: SessionRef) => {
    const records = await store.listRecords(s.session_id);
    const parsed = records.map((r) => JSON.parse(r.canonical) as AuditRecord);
    expect(findChainBreak(merkle, parsed, s)).toBeNull();
    expect(records.map((r) => r.aleSeq)).toEqual(records.map((_, i) => i + 1));
    return records;
  };
  return {
    store,
    a,
    b,
    calls,
    open,
    chain,
    builds: () => builds,
    setBefore: (f: typeof before) => void (before = f),
  };
}

describe('AuditLog group commit on a store shared with another instance', () => {
  it('rebuilds only the stale session\'s record; the other sessions\' records are sent again unchanged, built once', async () => {
    const { store, a, b, calls, open, chain, builds } = setup();
    const s = await open('S');
    const others = await Promise.all(['T', 'U', 'V', 'W', 'X', 'Y', 'Z'].map(open));
    const all = [s, ...others];
    // B learns every head (ale_seq 2, its own), then A appends to S: B's head for S is stale
    await Promise.all(all.map((x) => b.append(x, 'CEDAR_PERMIT', { n: 2 })));
    const fromA = await a.append(s, 'CEDAR_DENY', {});
    const headOfS = (await store.lastRecord(s.session_id)) as StoredRecord;
    expect(fromA.ale_seq).toBe(3);
    calls.length = 0;
    const built = builds();

    const recs = await Promise.all(all.map((x) => b.append(x, 'CEDAR_PERMIT', { n: 3 })));

    // one batch of all eight failed; the seven others went again alone, unchanged; S's rebuilt record after
    expect(calls.map((c) => [c.ok, c.records.map((r) => `${r.sessionId}/${r.aleSeq}`)])).toEqual([
      [false, ['S/3', ...others.map((x) => `${x.session_id}/3`)]],
      [true, others.map((x) => `${x.session_id}/3`)],
      [true, ['S/4']],
    ]);
    expect(calls[1]?.records).toEqual(calls[0]?.records.slice(1));
    expect(builds() - built).toBe(all.length + 1); // S's record was built twice, every other once
    // S's record chains onto A's record, read from the store
    expect(recs[0]).toMatchObject({ ale_seq: 4, prev_span_hash: headOfS.hash, kernel_id: 'B' });
    for (const [i, x] of all.entries()) {
      const records = await chain(x);
      expect(JSON.parse((records.at(-1) as StoredRecord).canonical)).toEqual(recs[i]); // what the caller got is what is stored
    }
    expect((await chain(s)).map((r) => JSON.parse(r.canonical).kernel_id)).toEqual(['A', 'B', 'A', 'B']);
  });

  it('many rounds of staleness (more than the attempt bound in all) fail no record of another session', async () => {
    const { a, b, calls, open, chain, builds, setBefore } = setup();
    const targets = await Promise.all(['S1', 'S2', 'S3', 'S4', 'S5', 'S6'].map(open));
    const others = await Promise.all(['T', 'U', 'V', 'W'].map(open));
    // before each of B's transactions, A appends to one of the targets in it (in turn), up to 7
    // times per target: 42 conflicts in all, each target's own record charged at most 7 times
    const stale = new Map<string, number>();
    let turn = 0;
    setBefore(async (records) => {
      const present = new Set(records.map((r) => r.sessionId));
      for (let k = 0; k < targets.length; k++) {
        const t = targets[(turn + k) % targets.length] as SessionRef;
        if (!present.has(t.session_id) || (stale.get(t.session_id) ?? 0) >= 7) continue;
        stale.set(t.session_id, (stale.get(t.session_id) ?? 0) + 1);
        turn = (turn + k + 1) % targets.length;
        await a.append(t, 'CEDAR_DENY', {});
        return;
      }
    });

    const all = [...targets, ...others];
    const outcomes = await Promise.allSettled(all.map((x) => b.append(x, 'CEDAR_PERMIT', { from: 'B' })));

    const conflicts = [...stale.values()].reduce((n, v) => n + v, 0);
    expect(conflicts).toBe(42);
    expect(calls.filter((c) => !c.ok).length).toBe(42);
    for (const o of outcomes) expect(o.status).toBe('fulfilled');
    // each conflict rebuilt the one record of its own session, nothing else
    expect(builds()).toBe(all.length + conflicts);
    for (const x of others) {
      // sent in every failed batch until the targets were sorted out, always the same bytes
      const sent = calls.flatMap((c) => c.records.filter((r) => r.sessionId === x.session_id));
      expect(new Set(sent.map((r) => r.canonical)).size).toBe(1);
      expect(sent.length).toBeLessThanOrEqual(targets.length + 1);
      expect((await chain(x)).map((r) => r.aleSeq)).toEqual([1, 2]);
    }
    for (const [i, t] of targets.entries()) {
      const records = await chain(t);
      expect(records).toHaveLength(2 + 7);
      expect(JSON.parse((records.at(-1) as StoredRecord).canonical)).toEqual((outcomes[i] as PromiseFulfilledResult<AuditRecord>).value);
    }
  });

  it('a session that conflicts on every attempt still fails after a bounded number of them, with CONFLICT, and alone', async () => {
    const { a, b, calls, open, chain, setBefore } = setup();
    const s = await open('S');
    const t = await open('T');
    setBefore(async (records) => {
      if (records.some((r) => r.sessionId === s.session_id)) await a.append(s, 'CEDAR_DENY', {});
    });
    const [fs, ft] = await Promise.allSettled([b.append(s, 'CEDAR_PERMIT', {}), b.append(t, 'CEDAR_PERMIT', {})]);
    expect(fs?.status).toBe('rejected');
    expect(isDomainError((fs as PromiseRejectedResult).reason, 'CONFLICT')).toBe(true);
    expect(ft?.status).toBe('fulfilled');
    // S's record was built 16 times (the bound), each time onto a head A had moved; T's went once more, unchanged
    expect(calls.map((c) => [c.ok, c.records.map((r) => r.sessionId).join()])).toEqual([
      [false, 'S,T'],
      [true, 'T'],
      ...Array.from({ length: 15 }, () => [false, 'S']),
    ]);
    await chain(s);
    expect((await chain(t)).map((r) => JSON.parse(r.canonical).kernel_id)).toEqual(['A', 'B']);
  });
});
