import { describe, expect, it } from 'vitest';
import { MemoryStore } from '../../adapters/memory/store.ts';
import { systemClock } from '../../adapters/system/clock.ts';
import { wasmMerkle } from '../../../test/support/wasm.ts';
import { isDomainError } from '../errors.ts';
import { KernelState } from '../state/kernel-state.ts';
import type { StatusChange, StoredRecord } from '../../ports/storage.ts';
import type { Telemetry } from '../../ports/telemetry.ts';
import { AuditLog } from './audit-log.ts';
import { findChainBreak } from './chain.ts';
import type { AuditRecord, Json } from '../types.ts';
import { toHex } from '../hex.ts';

const telemetry: Telemetry = { span: async (_n, _o, fn) => fn({ setAttributes: () => undefined }) };

/** A MemoryStore that counts transactions and can fail the next N of them. */
class CountingStore extends MemoryStore {
  batches: number[] = [];
  failNext = 0;
  override async appendRecords(records: readonly StoredRecord[], statuses?: readonly StatusChange[]): Promise<void> {
    this.batches.push(records.length);
    if (this.failNext > 0) {
      this.failNext--;
      throw new Error('disk full');
    }
    await new Promise((r) => setTimeout(r, 1)); // a sync takes time: let writers pile up
    return super.appendRecords(records, statuses);
  }
}

function setup(maxBatch?: number, groupCommit = true) {
  const store = new CountingStore();
  const state = new KernelState();
  const merkle = wasmMerkle();
  const log = new AuditLog({ store, merkle, clock: systemClock, telemetry, state, kernelId: 'k', groupCommit, ...(maxBatch ? { maxBatch } : {}) });
  const open = async (n: number) => {
    const s = { session_id: `s${n}`, block_id: n.toString(16).padStart(32, '0') };
    await log.createSession(s, 'SESSION_OPEN', {}, (first) =>
      store.createSession({ ...s, agent_id: 'a', status: 'OPEN', created_at: systemClock.nowIso() }, first),
    );
    return s;
  };
  const chainOk = async (s: { session_id: string; block_id: string }) => {
    const recs = (await store.listRecords(s.session_id)).map((r) => JSON.parse(r.canonical) as AuditRecord);
    return findChainBreak(merkle, recs, s) === null;
  };
  return { store, state, log, open, chainOk };
}

describe('AuditLog group commit', () => {
  it('shares one transaction among concurrent writers and keeps every chain exact', async () => {
    const { store, log, open, chainOk } = setup();
    const sessions = await Promise.all(Array.from({ length: 16 }, (_, i) => open(i)));
    store.batches = [];
    const results = await Promise.all(
      sessions.flatMap((s) => Array.from({ length: 64 }, (_, j) => log.append(s, 'CEDAR_PERMIT', { j }))),
    );
    expect(results).toHaveLength(1024);
    expect(store.batches.reduce((a, b) => a + b, 0)).toBe(1024);
    expect(store.batches.length).toBeLessThan(20); // group commit: far fewer transactions than records
    for (const s of sessions) {
      expect(await chainOk(s)).toBe(true);
      expect((await store.listRecords(s.session_id)).map((r) => r.aleSeq)).toEqual(Array.from({ length: 65 }, (_, i) => i + 1));
    }
  });

  it('builds a record as the caller\'s fields under the kernel\'s, stored as its JCS text and hashed', async () => {
    const { store, log, open } = setup();
    const s = await open(1);
    const merkle = wasmMerkle();
    const cases: Record<string, Json>[] = [
      { zeta: 1, alpha: { b: 2, a: [3, { d: 4, c: 5 }] }, ale_seq: 99, session_id: 'forged', timestamp: 'then', prev_span_hash: 'x', kernel_id: 'y', block_id: 'z', ale_type: 'W' },
      { a: 1, b: 2, c: 3 },
      JSON.parse('{"__proto__":{"x":1},"10":"ten","9":"nine","kernel_id":"nope","m":null}') as Record<string, Json>,
      {},
    ];
    let prev = (await store.lastRecord(s.session_id))?.hash ?? null;
    for (const [i, fields] of cases.entries()) {
      const record = await log.append(s, 'CEDAR_PERMIT', fields);
      const expected = { ...structuredClone(fields), ale_type: 'CEDAR_PERMIT', ale_seq: i + 2, session_id: s.session_id, block_id: s.block_id, kernel_id: 'k', timestamp: record.timestamp, prev_span_hash: prev };
      if (Object.hasOwn(fields, '__proto__')) Object.defineProperty(expected, '__proto__', { value: fields['__proto__'], enumerable: true, writable: true, configurable: true });
      expect(record).toEqual(expected);
      const stored = (await store.lastRecord(s.session_id)) as StoredRecord;
      expect(stored.canonical).toBe(merkle.canonicalize(expected));
      expect(stored.hash).toBe(toHex(merkle.sha256(new TextEncoder().encode(stored.canonical))));
      prev = stored.hash;
    }
  });

  it('commits one record per transaction with maxBatch 1', async () => {
    const { store, log, open } = setup(1);
    const s = await open(1);
    store.batches = [];
    await Promise.all(Array.from({ length: 20 }, () => log.append(s, 'CEDAR_PERMIT', {})));
    expect(store.batches).toEqual(Array(20).fill(1));
  });

  it('resolves a caller only once its record is durable, and rebuilds records queued behind a failed batch', async () => {
    const { store, state, log, open, chainOk } = setup(4);
    const s = await open(1);
    store.failNext = 1;
    const outcomes = await Promise.allSettled(Array.from({ length: 12 }, (_, j) => log.append(s, 'CEDAR_PERMIT', { j })));
    const failed = outcomes.filter((o) => o.status === 'rejected');
    // the first batch failed: its callers get GAR_UNAVAILABLE; the rest were rebuilt and committed
    expect(failed.length).toBe(4);
    for (const f of failed) expect(isDomainError((f as PromiseRejectedResult).reason, 'GAR_UNAVAILABLE')).toBe(true);
    const stored = await store.listRecords(s.session_id);
    expect(stored.length).toBe(1 + 8);
    const ok = outcomes.flatMap((o) => (o.status === 'fulfilled' ? [o.value] : []));
    // every acknowledged record is stored, byte for byte
    for (const rec of ok) expect(stored.some((r) => r.aleSeq === rec.ale_seq && JSON.parse(r.canonical).j === rec.j)).toBe(true);
    expect(await chainOk(s)).toBe(true);
    expect(state.primary()).toBe('NORMAL');
  });

  it('enters SUSPENDED_GAR while writes fail and leaves it on the next committed batch', async () => {
    const { store, state, log, open } = setup();
    const s = await open(1);
    store.failNext = 100;
    const err = await log.append(s, 'CEDAR_PERMIT', {}).catch((e: unknown) => e);
    expect(isDomainError(err, 'GAR_UNAVAILABLE')).toBe(true);
    expect(state.primary()).toBe('SUSPENDED_GAR');
    store.failNext = 0;
    const rec = await log.append(s, 'CEDAR_PERMIT', {});
    expect(rec.ale_seq).toBe(2);
    expect(state.primary()).toBe('NORMAL');
  });

  it('refuses records after SESSION_COMPLETE is queued', async () => {
    const { log, open } = setup();
    const s = await open(1);
    const closing = log.append(s, 'SESSION_COMPLETE', {}, 'CLOSING');
    const late = await log.append(s, 'CEDAR_PERMIT', {}).catch((e: unknown) => e);
    expect(isDomainError(late, 'SESSION_CLOSED')).toBe(true);
    expect((await closing).ale_seq).toBe(2);
  });

  it('without group commit (workerd): each append commits alone and racing appends still form one exact chain', async () => {
    const { store, log, open, chainOk } = setup(undefined, false);
    const s = await open(1);
    store.batches = [];
    const recs = await Promise.all(Array.from({ length: 12 }, (_, j) => log.append(s, 'CEDAR_PERMIT', { j })));
    expect(recs.map((r) => r.ale_seq).sort((a, b) => a - b)).toEqual(Array.from({ length: 12 }, (_, i) => i + 2));
    expect(store.batches.every((n) => n === 1)).toBe(true);
    expect(await chainOk(s)).toBe(true);
    await log.append(s, 'SESSION_COMPLETE', {}, 'CLOSING');
    const late = await log.append(s, 'CEDAR_PERMIT', {}).catch((e: unknown) => e);
    expect(isDomainError(late, 'SESSION_CLOSED')).toBe(true);
  });

  it('recovers from another writer having appended (CONFLICT) by reloading the head', async () => {
    const { store, log, open, chainOk } = setup();
    const s = await open(1);
    await log.append(s, 'CEDAR_PERMIT', {});
    // a second kernel instance appends behind this one's back
    const other = new AuditLog({ store, merkle: wasmMerkle(), clock: systemClock, telemetry, state: new KernelState(), kernelId: 'k2' });
    await other.append(s, 'CEDAR_DENY', {});
    const rec = await log.append(s, 'CEDAR_PERMIT', {});
    expect(rec.ale_seq).toBe(4);
    expect(await chainOk(s)).toBe(true);
  });
});

/** A store whose transactions complete only when the test says so, recording what was in flight. */
class GatedStore extends MemoryStore {
  open: { sessions: string[]; finish: (fail?: boolean) => void }[] = [];
  maxConcurrent = 0;
  override appendRecords(records: readonly StoredRecord[], statuses?: readonly StatusChange[]): Promise<void> {
    return new Promise((resolve, reject) => {
      const entry = {
        sessions: records.map((r) => r.sessionId),
        finish: (fail = false) => {
          this.open.splice(this.open.indexOf(entry), 1);
          if (fail) reject(new Error('disk full'));
          else super.appendRecords(records, statuses).then(resolve, reject);
        },
      };
      this.open.push(entry);
      this.maxConcurrent = Math.max(this.maxConcurrent, this.open.length);
    });
  }
}

describe('AuditLog pipelined group commit', () => {
  const tick = () => new Promise((r) => setTimeout(r, 5));
  async function setupGated(maxInFlight: number, eagerBatch?: number) {
    const store = new GatedStore();
    const merkle = wasmMerkle();
    const state = new KernelState();
    const log = new AuditLog({ store, merkle, clock: systemClock, telemetry, state, kernelId: 'k', maxInFlight, ...(eagerBatch ? { eagerBatch } : {}) });
    const sessions = [];
    for (let n = 0; n < 3; n++) {
      const s = { session_id: `s${n}`, block_id: n.toString(16).padStart(32, '0') };
      await log.createSession(s, 'SESSION_OPEN', {}, (first) => store.createSession({ ...s, agent_id: 'a', status: 'OPEN', created_at: systemClock.nowIso() }, first));
      sessions.push(s);
    }
    const chainOk = async (s: { session_id: string; block_id: string }) =>
      findChainBreak(merkle, (await store.listRecords(s.session_id)).map((r) => JSON.parse(r.canonical) as AuditRecord), s) === null;
    return { store, log, state, sessions, chainOk };
  }

  it('sends the next batch while one commits, but never a record whose session has a record in flight', async () => {
    const { store, log, sessions, chainOk } = await setupGated(2);
    const [a, b] = sessions as [{ session_id: string; block_id: string }, { session_id: string; block_id: string }];
    const a2 = log.append(a, 'CEDAR_PERMIT', {});
    await tick();
    expect(store.open.map((o) => o.sessions)).toEqual([[a.session_id]]);
    const a3 = log.append(a, 'CEDAR_PERMIT', {});
    const b2 = log.append(b, 'CEDAR_PERMIT', {});
    await tick();
    // b's record goes out beside a's in-flight batch; a's next record waits for it
    expect(store.open.map((o) => o.sessions)).toEqual([[a.session_id], [b.session_id]]);
    store.open[1]?.finish();
    expect((await b2).ale_seq).toBe(2);
    store.open[0]?.finish();
    expect((await a2).ale_seq).toBe(2);
    await tick();
    expect(store.open.map((o) => o.sessions)).toEqual([[a.session_id]]);
    store.open[0]?.finish();
    expect((await a3).ale_seq).toBe(3);
    expect(store.maxConcurrent).toBe(2);
    expect(await chainOk(a)).toBe(true);
    expect(await chainOk(b)).toBe(true);
  });

  it('keeps a single batch in flight with maxInFlight 1', async () => {
    const { store, log, sessions } = await setupGated(1);
    const p = sessions.map((s) => log.append(s, 'CEDAR_PERMIT', {}));
    await tick();
    expect(store.open).toHaveLength(1);
    const q = log.append(sessions[0]!, 'CEDAR_PERMIT', {});
    const r = log.append(sessions[1]!, 'CEDAR_PERMIT', {});
    await tick();
    expect(store.open).toHaveLength(1);
    store.open[0]?.finish();
    await Promise.all(p);
    await tick();
    store.open[0]?.finish();
    await Promise.all([q, r]);
    expect(store.maxConcurrent).toBe(1);
  });

  it('when an in-flight batch fails, rebuilds its sessions\' queued records and leaves the other batch alone', async () => {
    const { store, state, log, sessions, chainOk } = await setupGated(2);
    const [a, b] = sessions as [{ session_id: string; block_id: string }, { session_id: string; block_id: string }];
    const a2 = log.append(a, 'CEDAR_PERMIT', { n: 2 }).catch((e: unknown) => e);
    await tick();
    const b2 = log.append(b, 'CEDAR_PERMIT', {});
    const a3 = log.append(a, 'CEDAR_PERMIT', { n: 3 });
    await tick();
    expect(store.open.map((o) => o.sessions)).toEqual([[a.session_id], [b.session_id]]);
    store.open[0]?.finish(true); // a's batch fails: a3 was chained on a2 and must be rebuilt
    expect(isDomainError(await a2, 'GAR_UNAVAILABLE')).toBe(true);
    expect(state.primary()).toBe('SUSPENDED_GAR');
    store.open[0]?.finish(); // b's batch commits
    expect((await b2).ale_seq).toBe(2);
    await tick();
    store.open[0]?.finish(); // the rebuilt a3
    const rec = await a3;
    expect(rec.ale_seq).toBe(2);
    expect((await store.listRecords(a.session_id)).map((r) => JSON.parse(r.canonical).n)).toEqual([undefined, 3]);
    expect(await chainOk(a)).toBe(true);
    expect(state.primary()).toBe('NORMAL');
  });

  it('with eagerBatch, sends a batch once that many records wait, and the next as soon as one completes, without a timer turn', async () => {
    const { store, log, sessions } = await setupGated(1, 2);
    const [a, b, c] = sessions as [{ session_id: string; block_id: string }, { session_id: string; block_id: string }, { session_id: string; block_id: string }];
    const micro = async () => {
      for (let i = 0; i < 20; i++) await Promise.resolve();
    };
    const pa = log.append(a, 'CEDAR_PERMIT', {});
    await micro();
    expect(store.open).toHaveLength(0); // one record: not sent in a microtask
    const pb = log.append(b, 'CEDAR_PERMIT', {});
    await micro();
    expect(store.open.map((o) => o.sessions)).toEqual([[a.session_id, b.session_id]]); // two: sent at once
    const pc = log.append(c, 'CEDAR_PERMIT', {});
    await micro();
    store.open[0]?.finish();
    await micro();
    expect(store.open.map((o) => o.sessions)).toEqual([[c.session_id]]); // sent on completion
    await Promise.all([pa, pb]);
    store.open[0]?.finish();
    expect((await pc).ale_seq).toBe(2);
    // a lone record with nothing in flight: not sent in a microtask, but at the end of this
    // turn of the event loop (setImmediate, FIFO: the kernel's was queued first), no timer turn
    const pd = log.append(a, 'CEDAR_PERMIT', {});
    await micro();
    expect(store.open).toHaveLength(0);
    await new Promise((r) => setImmediate(r));
    expect(store.open.map((o) => o.sessions)).toEqual([[a.session_id]]);
    store.open[0]?.finish();
    expect((await pd).ale_seq).toBe(3);
  });
});
