/**
 * The SSF outbox (docs/revocation.md, "What survives a restart"): every SET a revocation event
 * owes a receiver stream is stored, with its exact bytes, before the revocation is answered; its
 * acknowledgement (push 202, poll ack), a drop (stream deleted or disabled, SET expired) and each
 * completion state follow. Documents `ssf_outbox` (append-only, `seq` 1, 2, …, the same documents
 * store as `ssf_stream`: embedded libSQL, PostgreSQL, D1), replayed by the next kernel on the
 * store to restore its poll queues, push retries and event tracking.
 *
 * A start reads only the live tail: documents `ssf_outbox_checkpoint` (append-only too, their
 * own `seq`) each name `from_seq`, the outbox document before which no event is live (settled:
 * CLEAN, or UNKNOWN with every SET acknowledged or dropped), and `registry_seq`, the registry
 * sequence up to which every LOCAL entry is owed in the outbox. The latest one is read first.
 */
import type { AuditStore } from '../../ports/storage.ts';
import { DomainError, isDomainError } from '../errors.ts';
import { canonicalJson } from '../jcs.ts';
import type { Json } from '../types.ts';

export const OUTBOX_DOCUMENT_KIND = 'ssf_outbox';
export const CHECKPOINT_DOCUMENT_KIND = 'ssf_outbox_checkpoint';

/** Where a start begins reading: nothing before outbox document `from_seq` is live; LOCAL entries up to `registry_seq` are owed. */
export type OutboxCheckpoint = { from_seq: number; registry_seq: number };

/** A stored entry and its document's `seq`. */
export type StoredEntry = { seq: number; entry: OutboxEntry };

/** A SET owed to a receiver stream: its `jti` and exact compact JWS (`aud`, `method`: the stream's, for the view once it is gone). */
export type OwedSet = { stream_id: string; aud: string; method: string; jti: string; token: string };

export type OutboxEntry =
  /** The registry sequence when the outbox began: older LOCAL entries predate it (not owed). */
  | { op: 'baseline'; registry_seq: number }
  /** A revocation event and the SETs it owes (none: it has no receiver). */
  | { op: 'owed'; event_id: string; kind: string; id: string; registry_seq: number; started_ms: number; expires_ms: number; sets: OwedSet[] }
  | { op: 'ack'; event_id: string; stream_id: string; jti: string; acked_ms: number }
  | { op: 'drop'; event_id: string; stream_id: string; jti: string; reason: string }
  | { op: 'state'; event_id: string; state: string; after_retry: boolean; alerted: boolean };

export type OutboxDeps = {
  store: AuditStore;
  io: <T>(op: () => Promise<T>, write: boolean) => Promise<T>;
  nowIso: () => string;
  /** An entry another instance sharing the store appended (seen while appending past it). */
  onForeign?: (entry: OutboxEntry) => void;
};

const PAGE = 500;

export class Outbox {
  private readonly deps: OutboxDeps;
  private seq = 0;
  /** Appends run one after the other: each takes the next `seq`. */
  private tail: Promise<unknown> = Promise.resolve();

  constructor(deps: OutboxDeps) {
    this.deps = deps;
  }

  /** The latest checkpoint seen or written (null: none, read from document 1). */
  private checkpoint: { seq: number; at: OutboxCheckpoint } | null = null;

  /**
   * At start: the latest checkpoint, then the entries from its `from_seq` (none: all of them), in
   * order. The document before `from_seq` must exist (a checkpoint never points past the outbox).
   */
  async start(): Promise<{ checkpoint: OutboxCheckpoint | null; entries: StoredEntry[] }> {
    const doc = await this.deps.io(() => this.deps.store.latestDocument(CHECKPOINT_DOCUMENT_KIND), false);
    if (doc === null) return { checkpoint: null, entries: await this.read() };
    const at = parse(doc.body, `checkpoint ${doc.seq}`) as OutboxCheckpoint;
    if (!Number.isSafeInteger(at.from_seq) || at.from_seq < 1 || !Number.isSafeInteger(at.registry_seq)) throw new DomainError('AUDIT_TAMPERED', `the SSF outbox checkpoint ${doc.seq} is malformed`);
    this.checkpoint = { seq: doc.seq, at };
    if (at.from_seq === 1) return { checkpoint: at, entries: await this.read() };
    // the document before from_seq is read to prove it exists, and skipped
    this.seq = at.from_seq - 2;
    const entries = await this.read();
    if (entries[0]?.seq !== at.from_seq - 1) throw new DomainError('AUDIT_TAMPERED', `the SSF outbox checkpoint ${doc.seq} names document ${at.from_seq}, past the outbox`);
    return { checkpoint: at, entries: entries.slice(1) };
  }

  /** The `seq` of the last document seen or written. */
  lastSeq(): number {
    return this.seq;
  }

  /**
   * Stores a checkpoint if it moves `from_seq` forward (best effort: another instance writing one
   * at the same time, or a failing store, leaves the previous one, which stays true).
   */
  async advance(at: OutboxCheckpoint): Promise<boolean> {
    if (at.from_seq <= (this.checkpoint?.at.from_seq ?? 1)) return false;
    const seq = (this.checkpoint?.seq ?? 0) + 1;
    try {
      await this.deps.io(() => this.deps.store.putDocument({ kind: CHECKPOINT_DOCUMENT_KIND, seq, docId: 'checkpoint', body: canonicalJson(at as unknown as Json), createdAt: this.deps.nowIso() }), true);
    } catch {
      return false;
    }
    this.checkpoint = { seq, at };
    return true;
  }

  /** The entries stored after the last one seen, in order. */
  async read(): Promise<StoredEntry[]> {
    const out: StoredEntry[] = [];
    for (;;) {
      const page = await this.deps.io(() => this.deps.store.listDocuments(OUTBOX_DOCUMENT_KIND, this.seq + 1, PAGE), false);
      for (const doc of page) {
        const entry = parse(doc.body, `document ${doc.seq}`) as OutboxEntry;
        if (typeof entry.op !== 'string') throw new DomainError('AUDIT_TAMPERED', `the SSF outbox document ${doc.seq} is malformed`);
        out.push({ seq: doc.seq, entry });
        this.seq = doc.seq;
      }
      if (page.length < PAGE) return out;
    }
  }

  /** Stores `entry` as the next document; resolves with its `seq` once durable. */
  append(entry: OutboxEntry): Promise<number> {
    const run = this.tail.then(() => this.write(entry));
    this.tail = run.catch(() => undefined);
    return run;
  }

  private async write(entry: OutboxEntry): Promise<number> {
    const docId = 'event_id' in entry ? entry.event_id.slice(0, 500) : 'baseline';
    for (let attempt = 1; ; attempt++) {
      const seq = this.seq + 1;
      try {
        await this.deps.io(() => this.deps.store.putDocument({ kind: OUTBOX_DOCUMENT_KIND, seq, docId, body: canonicalJson(entry as unknown as Json), createdAt: this.deps.nowIso() }), true);
        this.seq = seq;
        return seq;
      } catch (e) {
        // another instance took the sequence: read past its entries and take the next one
        if (!isDomainError(e, 'CONFLICT') || attempt >= 8) throw e;
        for (const other of await this.read()) this.deps.onForeign?.(other.entry);
      }
    }
  }
}

function parse(body: string, what: string): object {
  let v: unknown;
  try {
    v = JSON.parse(body);
  } catch {
    throw new DomainError('AUDIT_TAMPERED', `the SSF outbox ${what} is not JSON`);
  }
  if (v === null || typeof v !== 'object') throw new DomainError('AUDIT_TAMPERED', `the SSF outbox ${what} is malformed`);
  return v;
}
