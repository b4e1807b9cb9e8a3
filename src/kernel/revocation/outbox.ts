/**
 * The SSF outbox (docs/revocation.md, "What survives a restart"): every SET a revocation event
 * owes a receiver stream is stored, with its exact bytes, before the revocation is answered; its
 * acknowledgement (push 202, poll ack), a drop (stream deleted or disabled, SET expired) and each
 * completion state follow. Documents `ssf_outbox` (append-only, `seq` 1, 2, …, the same documents
 * store as `ssf_stream`: embedded libSQL, PostgreSQL, D1), replayed by the next kernel on the
 * store to restore its poll queues, push retries and event tracking.
 */
import type { AuditStore } from '../../ports/storage.ts';
import { DomainError, isDomainError } from '../errors.ts';
import { canonicalJson } from '../jcs.ts';
import type { Json } from '../types.ts';

export const OUTBOX_DOCUMENT_KIND = 'ssf_outbox';

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

  /** The entries stored after the last one seen (at start: all of them), in order. */
  async read(): Promise<OutboxEntry[]> {
    const out: OutboxEntry[] = [];
    for (;;) {
      const page = await this.deps.io(() => this.deps.store.listDocuments(OUTBOX_DOCUMENT_KIND, this.seq + 1, PAGE), false);
      for (const doc of page) {
        let entry: OutboxEntry;
        try {
          entry = JSON.parse(doc.body) as OutboxEntry;
        } catch {
          throw new DomainError('AUDIT_TAMPERED', `the SSF outbox document ${doc.seq} is not JSON`);
        }
        if (entry === null || typeof entry !== 'object' || typeof entry.op !== 'string') throw new DomainError('AUDIT_TAMPERED', `the SSF outbox document ${doc.seq} is malformed`);
        out.push(entry);
        this.seq = doc.seq;
      }
      if (page.length < PAGE) return out;
    }
  }

  /** Stores `entry` as the next document; resolves once durable. */
  append(entry: OutboxEntry): Promise<void> {
    const run = this.tail.then(() => this.write(entry));
    this.tail = run.catch(() => undefined);
    return run;
  }

  private async write(entry: OutboxEntry): Promise<void> {
    const docId = 'event_id' in entry ? entry.event_id.slice(0, 500) : 'baseline';
    for (let attempt = 1; ; attempt++) {
      const seq = this.seq + 1;
      try {
        await this.deps.io(() => this.deps.store.putDocument({ kind: OUTBOX_DOCUMENT_KIND, seq, docId, body: canonicalJson(entry as unknown as Json), createdAt: this.deps.nowIso() }), true);
        this.seq = seq;
        return;
      } catch (e) {
        // another instance took the sequence: read past its entries and take the next one
        if (!isDomainError(e, 'CONFLICT') || attempt >= 8) throw e;
        for (const other of await this.read()) this.deps.onForeign?.(other);
      }
    }
  }
}
