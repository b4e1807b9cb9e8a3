import type { Clock } from '../../ports/clock.ts';
import type { Merkle } from '../../ports/merkle.ts';
import type { AuditStore, StoredRecord } from '../../ports/storage.ts';
import type { Telemetry } from '../../ports/telemetry.ts';
import { DomainError, isDomainError } from '../errors.ts';
import { canonicalJson } from '../jcs.ts';
import type { KernelState } from '../state/kernel-state.ts';
import type { AuditRecord, Json, SessionStatus } from '../types.ts';
import type { AuditMetrics } from '../metrics/kernel-metrics.ts';
import { recordHash } from './chain.ts';

export type AppendDeps = {
  store: AuditStore;
  merkle: Merkle;
  clock: Clock;
  telemetry: Telemetry;
  state: KernelState;
  kernelId: string;
  /** Most records per transaction: 1 = one commit per record; default 1,000 (group commit). */
  maxBatch?: number;
  /**
   * false: no queue shared between requests; each append reads the head from the store and
   * commits alone, retrying on CONFLICT. For workerd, where one request may not resolve another
   * request's promises. Default true.
   */
  groupCommit?: boolean;
  /**
   * Batches that may be committing at once (group commit only; default 2): while one batch
   * commits, the next is built and sent. A record joins a batch only when no record of its
   * session is in flight, so a failed batch never has a successor chained onto it in flight.
   */
  maxInFlight?: number;
  /**
   * Send a batch as soon as this many records are queued and a slot is free, without waiting
   * for the next timer turn (default: maxBatch, i.e. only full batches go early). Lower values
   * are for a store that commits off the event loop (WorkerAuditStore): it commits the first
   * records of a burst while the event loop still builds the rest, and when a batch completes
   * the records queued meanwhile are sent at once, not a timer turn later; with a slot free,
   * fewer than eagerBatch records go at the end of the event loop's current turn (setImmediate),
   * not a timer turn later. (On a store that commits on the event loop, that would delay the
   * completed batch's callers by a commit.)
   */
  eagerBatch?: number;
  /** Counts committed records and transactions, sessions opened and completed (`GET /metrics`). */
  metrics?: AuditMetrics;
};

export type SessionRef = { session_id: string; block_id: string };

/** A session's chain head; `closed` once SESSION_COMPLETE is queued: nothing may follow it. */
type Head = { seq: number; hash: string; closed?: boolean };
/** A queued record; `prev` is the hash it chains onto (the session's head when it was built). */
type Pending = { stored: StoredRecord; prev: string; status?: SessionStatus; resolve: () => void; reject: (e: unknown) => void };

/** The fields the kernel sets on every record, in UTF-16 order. */
const KERNEL_KEYS: readonly string[] = ['ale_seq', 'ale_type', 'block_id', 'kernel_id', 'prev_span_hash', 'session_id', 'timestamp'];
const IS_KERNEL_KEY: ReadonlySet<string> = new Set(KERNEL_KEYS);

const nextTimerTurn = (f: () => void): void => void setTimeout(f, 0);
/** After the I/O of this turn of the event loop (Node, Bun, Deno 2); a timer turn elsewhere. */
const soon: (f: () => void) => void =
  typeof (globalThis as { setImmediate?: unknown }).setImmediate === 'function'
    ? (f) => void (globalThis as unknown as { setImmediate: (f: () => void) => unknown }).setImmediate(f)
    : nextTimerTurn;

/** Rejection of a queued record whose predecessor's batch failed: it must be rebuilt. */
class Rebuild extends Error {}

/**
 * Group commit: how often a record is built again because its own session conflicted (its
 * session's head was stale: another instance on the same store appended to it) or because a
 * preceding record of its session was not stored. A record of another session that shared the
 * failed batch is not charged: it is sent again unchanged (see `sortOut`). As in direct mode, the
 * retries are a race between instances appending to one session at once.
 */
const MAX_ATTEMPTS = 16;
/** Direct mode: concurrent appends to one session race for the next ale_seq; the losers retry. */
const MAX_DIRECT_ATTEMPTS = 32;

/**
 * The GAR write path (P7) with group commit. Each record gets the next `ale_seq`, the kernel
 * clock's timestamp and `prev_span_hash` = SHA-256(JCS(previous record)) from the session's
 * chain head, kept in memory; records of all sessions are queued and written by one flusher,
 * many per transaction, and each `append` resolves only when its own record is committed.
 *
 * INVARIANT: a head in `heads` is either committed or queued behind committed records. When a
 * batch fails, the heads of its sessions are dropped and every queued record of those sessions
 * is rebuilt from the store, so nothing ever chains onto a record that was not stored.
 *
 * A batch of several sessions that fails with CONFLICT (on a store shared by several instances,
 * one session's head here was stale) is sorted out: the heads of its sessions are read from the
 * store, only the sessions whose head moved fail as above, and the other sessions' records are
 * sent again unchanged, at once, in the same slot: their heads were right, and they are charged
 * no attempt for another session's conflict.
 *
 * A write failure puts the kernel in SUSPENDED_GAR and rejects with GAR_UNAVAILABLE; the next
 * committed batch returns it to NORMAL.
 */
export class AuditLog {
  private readonly deps: AppendDeps;
  private readonly heads = new Map<string, Head>();
  private readonly loading = new Map<string, Promise<void>>();
  private queue: Pending[] = [];
  private scheduled = false;
  private inFlight = 0;
  /** take() found nothing to send; set until a batch in flight completes. */
  private stalled = false;
  /** Sessions with records in an uncommitted batch, and how many. */
  private readonly busy = new Map<string, number>();
  private readonly maxBatch: number;
  private readonly maxInFlight: number;
  private readonly eagerBatch: number;
  /** The agent XPID of open sessions, from the records that carry it, for the spans of those that do not (SESSION_COMPLETE). */
  private readonly xpids = new Map<string, string>();

  constructor(deps: AppendDeps) {
    this.deps = deps;
    this.maxBatch = Math.max(1, deps.maxBatch ?? 1000);
    this.maxInFlight = Math.max(1, deps.maxInFlight ?? 2);
    this.eagerBatch = Math.max(1, Math.min(this.maxBatch, deps.eagerBatch ?? this.maxBatch));
  }

  /** Creates a session with its first record (ale_seq 1, prev_span_hash null), durably. */
  async createSession(session: SessionRef, aleType: string, fields: Record<string, Json>, write: (first: StoredRecord) => Promise<void>): Promise<AuditRecord> {
    const { record, stored } = this.build(session, aleType, fields, null);
    await this.span(record, () => this.io(() => write(stored), true));
    this.heads.set(session.session_id, { seq: 1, hash: stored.hash });
    this.deps.metrics?.committed(1);
    this.deps.metrics?.sessionOpened();
    return record;
  }

  /**
   * Appends one record to a session's chain; resolves once it is durable. `lazyMs` (group commit
   * only): the record does not start a transaction itself; it waits, queued, up to that long for
   * another record (typically the session's next one) to share a transaction with it, then is
   * sent alone. It is still durable when the promise resolves, and every later record of the
   * session commits with it or after it.
   */
  async append(session: SessionRef, aleType: string, fields: Record<string, Json>, status?: SessionStatus, lazyMs?: number): Promise<AuditRecord> {
    if (this.deps.groupCommit === false) return this.appendDirect(session, aleType, fields, status);
    for (let attempt = 1; ; attempt++) {
      const sid = session.session_id;
      let head = this.heads.get(sid);
      while (!head) {
        await this.loadHead(sid);
        head = this.heads.get(sid);
      }
      if (head.closed) throw new DomainError('SESSION_CLOSED', `session \`${sid}\` is closed`);
      // From here to enqueue is synchronous: the head cannot move underneath us.
      const { record, stored } = this.build(session, aleType, fields, head);
      this.heads.set(sid, { seq: stored.aleSeq, hash: stored.hash, ...(status && status !== 'OPEN' ? { closed: true } : {}) });
      const committed = new Promise<void>((resolve, reject) => {
        this.queue.push({ stored, prev: head.hash, ...(status ? { status } : {}), resolve, reject });
      });
      if (lazyMs !== undefined && attempt === 1) setTimeout(() => this.kick(), lazyMs);
      else if (this.queue.length >= this.eagerBatch && this.inFlight < this.maxInFlight && !this.stalled) this.pump();
      else this.kick();
      try {
        await this.span(record, () => committed);
        return record;
      } catch (e) {
        const retry = e instanceof Rebuild || isDomainError(e, 'CONFLICT');
        if (!retry || attempt >= MAX_ATTEMPTS) throw e instanceof Rebuild ? unavailable(e) : e;
      }
    }
  }

  /** One transaction per record, head read from the store: nothing shared between requests. */
  private async appendDirect(session: SessionRef, aleType: string, fields: Record<string, Json>, status?: SessionStatus): Promise<AuditRecord> {
    const sid = session.session_id;
    for (let attempt = 1; ; attempt++) {
      const last = await this.io(() => this.deps.store.lastRecord(sid), false);
      if (!last) throw new DomainError('SESSION_NOT_FOUND', `no session \`${sid}\``);
      if (last.aleType === 'SESSION_COMPLETE') throw new DomainError('SESSION_CLOSED', `session \`${sid}\` is closed`);
      const { record, stored } = this.build(session, aleType, fields, { seq: last.aleSeq, hash: last.hash });
      try {
        await this.span(record, () => this.io(() => this.deps.store.appendRecords([stored], status ? [{ sessionId: sid, status }] : []), true));
        this.deps.metrics?.committed(1);
        if (status === 'CLOSING') this.deps.metrics?.sessionCompleted();
        return record;
      } catch (e) {
        if (!isDomainError(e, 'CONFLICT') || attempt >= MAX_DIRECT_ATTEMPTS) throw e;
      }
    }
  }

  /**
   * Runs a store operation, translating failure into SUSPENDED_GAR + GAR_UNAVAILABLE. Only a
   * successful write ends SUSPENDED_GAR: a read proves nothing about durability.
   */
  async io<T>(op: () => Promise<T>, write: boolean): Promise<T> {
    try {
      const out = await op();
      if (write) this.deps.state.leave('SUSPENDED_GAR');
      return out;
    } catch (e) {
      if (isDomainError(e, 'CONFLICT')) throw e;
      this.deps.state.enter('SUSPENDED_GAR', 'audit store write failed');
      throw isDomainError(e, 'GAR_UNAVAILABLE') ? e : unavailable(e);
    }
  }

  /** Forgets cached chain heads (e.g. after another writer may have appended). */
  forgetHead(sessionId: string): void {
    this.heads.delete(sessionId);
  }

  private loadHead(sid: string): Promise<void> {
    let p = this.loading.get(sid);
    if (!p) {
      p = this.io(() => this.deps.store.lastRecord(sid), false)
        .then((last) => {
          if (!this.heads.has(sid)) {
            if (!last) throw new DomainError('SESSION_NOT_FOUND', `no session \`${sid}\``);
            // closed by another kernel on the same store (or an earlier run): nothing may follow
            this.heads.set(sid, { seq: last.aleSeq, hash: last.hash, ...(last.aleType === 'SESSION_COMPLETE' ? { closed: true } : {}) });
          }
        })
        .finally(() => this.loading.delete(sid));
      this.loading.set(sid, p);
    }
    return p;
  }

  private kick(): void {
    if (this.scheduled || this.inFlight >= this.maxInFlight) return;
    this.scheduled = true;
    // A macrotask later, not a microtask: drivers such as embedded libSQL complete
    // synchronously, so a microtask flush would commit each request alone and starve the event
    // loop. After a timer turn, every request that arrived meanwhile shares the transaction.
    // A store that commits off the event loop (eagerBatch) gets the batch at the end of this
    // turn of the loop instead (setImmediate where the runtime has it): a timer turn is at
    // least 1 ms, which was a third of the median append at 20,000/s.
    const later = this.eagerBatch < this.maxBatch ? soon : nextTimerTurn;
    later(() => {
      this.scheduled = false;
      this.pump();
    });
  }

  private pump(): void {
    while (!this.stalled && this.inFlight < this.maxInFlight && this.queue.length > 0) {
      const batch = this.take();
      if (batch.length === 0) {
        // the records at the head of the queue wait for a batch in flight: no need to look
        // again before one completes (appends under overload would each rescan the queue)
        this.stalled = true;
        return;
      }
      this.send(batch);
    }
  }

  /**
   * The next batch: queued records, in order, of sessions with nothing in flight, up to
   * maxBatch. INVARIANT: a record is taken only if every earlier queued record of its session
   * is taken too (the scan stops when the batch is full, and a busy session stays busy for the
   * whole scan). Only a window of 2 × maxBatch records is scanned, so an overload backlog costs
   * nothing extra per batch.
   */
  private take(): Pending[] {
    if (this.busy.size === 0) {
      if (this.queue.length <= this.maxBatch) {
        const all = this.queue;
        this.queue = [];
        return all;
      }
      return this.queue.splice(0, this.maxBatch);
    }
    const batch: Pending[] = [];
    const skipped: Pending[] = [];
    const window = Math.min(this.queue.length, 2 * this.maxBatch);
    let i = 0;
    // Plain loops, not map/flatMap callbacks: Node 20's V8 crashes (a fatal deoptimizer bug
    // in builtin continuations) on this hot path under ~1,000 concurrent writers.
    for (; i < window && batch.length < this.maxBatch; i++) {
      const p = this.queue[i] as Pending;
      if (this.busy.has(p.stored.sessionId)) skipped.push(p);
      else batch.push(p);
    }
    if (batch.length > 0) this.queue = skipped.concat(this.queue.slice(i));
    return batch;
  }

  private send(batch: Pending[]): void {
    for (let i = 0; i < batch.length; i++) {
      const sid = (batch[i] as Pending).stored.sessionId;
      this.busy.set(sid, (this.busy.get(sid) ?? 0) + 1);
    }
    this.inFlight++;
    this.commit(batch);
  }

  /** Writes a batch whose sessions are marked busy, in the slot it holds; then frees the slot. */
  private commit(batch: Pending[]): void {
    const records: StoredRecord[] = [];
    const statuses: { sessionId: string; status: SessionStatus }[] = [];
    for (let i = 0; i < batch.length; i++) {
      const p = batch[i] as Pending;
      records.push(p.stored);
      if (p.status) statuses.push({ sessionId: p.stored.sessionId, status: p.status });
    }
    this.io(() => this.deps.store.appendRecords(records, statuses), true).then(
      () => {
        this.deps.metrics?.committed(records.length);
        for (let i = 0; i < statuses.length; i++) if ((statuses[i] as { status: SessionStatus }).status === 'CLOSING') this.deps.metrics?.sessionCompleted();
        for (let i = 0; i < batch.length; i++) (batch[i] as Pending).resolve();
        this.done(batch);
      },
      (e: unknown) => {
        if (isDomainError(e, 'CONFLICT') && spansSessions(batch)) {
          void this.sortOut(batch, e);
          return;
        }
        this.failBatch(batch, e);
        this.done(batch);
      },
    );
  }

  /** The batch's sessions are no longer busy. */
  private release(batch: Pending[]): void {
    for (let i = 0; i < batch.length; i++) {
      const sid = (batch[i] as Pending).stored.sessionId;
      const n = (this.busy.get(sid) ?? 1) - 1;
      if (n > 0) this.busy.set(sid, n);
      else this.busy.delete(sid);
    }
  }

  /** A batch is settled: its slot and sessions are free. */
  private done(batch: Pending[]): void {
    this.inFlight--;
    this.stalled = false;
    this.release(batch);
    if (this.queue.length === 0) return;
    // off-thread store: keep it busy; else callers and new requests run before the next
    // transaction (kick waits a timer turn)
    if (this.eagerBatch < this.maxBatch) this.pump();
    else this.kick();
  }

  /**
   * A batch of several sessions failed with CONFLICT: which sessions conflicted? Reads the head of
   * each session from the store (one read per session, as the rebuild of the old way did); a
   * session conflicted if its head there is not the one its first record in the batch chains onto
   * (another instance appended to it). Those sessions fail as in `failBatch`, their heads set to
   * the ones just read (committed: the INVARIANT holds); the records of the others are sent again
   * unchanged in the same slot, their sessions still busy so nothing of theirs overtakes them.
   * Each round removes at least one session, so the rounds are bounded by the batch's sessions;
   * a conflict no head explains (or a failed read) fails the whole batch as before.
   */
  private async sortOut(batch: Pending[], conflict: unknown): Promise<void> {
    const firsts = new Map<string, Pending>();
    for (const p of batch) if (!firsts.has(p.stored.sessionId)) firsts.set(p.stored.sessionId, p);
    let lasts: (StoredRecord | null)[];
    try {
      lasts = await Promise.all([...firsts.keys()].map((sid) => this.io(() => this.deps.store.lastRecord(sid), false)));
    } catch {
      this.failBatch(batch, conflict);
      this.done(batch);
      return;
    }
    const stale = new Map<string, StoredRecord | null>();
    let i = 0;
    for (const [sid, p] of firsts) {
      const last = lasts[i++] ?? null;
      if (!last || last.aleSeq !== p.stored.aleSeq - 1 || last.hash !== p.prev) stale.set(sid, last);
    }
    if (stale.size === 0) {
      this.failBatch(batch, conflict);
      this.done(batch);
      return;
    }
    const failed: Pending[] = [];
    const clean: Pending[] = [];
    for (const p of batch) (stale.has(p.stored.sessionId) ? failed : clean).push(p);
    this.failBatch(failed, conflict);
    for (const [sid, last] of stale) {
      if (last && !this.heads.has(sid)) this.heads.set(sid, { seq: last.aleSeq, hash: last.hash, ...(last.aleType === 'SESSION_COMPLETE' ? { closed: true } : {}) });
    }
    if (clean.length === 0) {
      this.done(failed);
      return;
    }
    // the failed sessions' rebuilt records may go in another slot meanwhile
    this.release(failed);
    this.stalled = false;
    this.commit(clean);
  }

  private failBatch(batch: Pending[], error: unknown): void {
    const sessions = new Set(batch.map((p) => p.stored.sessionId));
    for (const sid of sessions) this.heads.delete(sid);
    const dependents = this.queue.filter((p) => sessions.has(p.stored.sessionId));
    this.queue = this.queue.filter((p) => !sessions.has(p.stored.sessionId));
    for (const p of batch) p.reject(error);
    for (const p of dependents) p.reject(new Rebuild('a preceding record of the session was not stored', { cause: error }));
  }

  private build(session: SessionRef, aleType: string, fields: Record<string, Json>, head: Head | null): { record: AuditRecord; stored: StoredRecord } {
    const { merkle, clock, kernelId } = this.deps;
    const aleSeq = head ? head.seq + 1 : 1;
    // the values of KERNEL_KEYS, in that order
    const own: Json[] = [aleSeq, aleType, session.block_id, kernelId, head ? head.hash : null, session.session_id, clock.nowIso()];
    // The same object as `{ ...fields, ale_type, … }` (the kernel's fields win), with its keys
    // inserted in UTF-16 order: JCS then prints it without copying it (canonicalJson copies
    // only what is out of order), and V8's object spread costs several microseconds per record.
    // `__proto__` is defined, not assigned, so an own `__proto__` field stays a field.
    const record = {} as AuditRecord;
    const names = Object.keys(fields);
    let sorted = true;
    for (let i = 1; i < names.length && sorted; i++) sorted = (names[i - 1] as string) < (names[i] as string);
    if (!sorted) names.sort();
    let n = 0;
    for (let i = 0; i < names.length; i++) {
      const k = names[i] as string;
      if (IS_KERNEL_KEY.has(k)) continue;
      for (; n < KERNEL_KEYS.length && (KERNEL_KEYS[n] as string) < k; n++) (record as Record<string, Json>)[KERNEL_KEYS[n] as string] = own[n] as Json;
      if (k === '__proto__') Object.defineProperty(record, k, { value: fields[k], enumerable: true, writable: true, configurable: true });
      else (record as Record<string, Json>)[k] = fields[k] as Json;
    }
    for (; n < KERNEL_KEYS.length; n++) (record as Record<string, Json>)[KERNEL_KEYS[n] as string] = own[n] as Json;
    const canonical = canonicalJson(record);
    return {
      record,
      stored: { sessionId: session.session_id, aleSeq, aleType, canonical, hash: recordHash(merkle, canonical) },
    };
  }

  private span<T>(record: AuditRecord, fn: () => Promise<T>): Promise<T> {
    const sid = record.session_id;
    if (typeof record.xpid === 'string') {
      if (this.xpids.size >= 100_000 && !this.xpids.has(sid)) this.xpids.clear(); // bounded: sessions left open forever
      this.xpids.set(sid, record.xpid);
    }
    const xpid = this.xpids.get(sid);
    if (record.ale_type === 'SESSION_COMPLETE') this.xpids.delete(sid);
    return this.deps.telemetry.span(
      'soos.gar.write',
      {
        traceId: record.block_id,
        attributes: {
          'soos.governance.ale_type': record.ale_type,
          'soos.governance.ale_seq': record.ale_seq,
          'soos.gar.prev_span_hash': record.prev_span_hash ?? '',
          'soos.gar.block_id': record.block_id,
          'soos.governance.session_id': record.session_id,
          'soos.governance.kernel_id': record.kernel_id,
          // the session agent's XPID (SESSION_OPEN and decision records carry it)
          'soos.governance.xpid': xpid,
        },
      },
      fn,
    );
  }
}

/** Whether a batch holds records of more than one session. */
function spansSessions(batch: readonly Pending[]): boolean {
  const first = (batch[0] as Pending).stored.sessionId;
  for (let i = 1; i < batch.length; i++) if ((batch[i] as Pending).stored.sessionId !== first) return true;
  return false;
}

function unavailable(cause: unknown): DomainError {
  return new DomainError('GAR_UNAVAILABLE', 'the audit store is unavailable; agent actions are suspended', { cause });
}
