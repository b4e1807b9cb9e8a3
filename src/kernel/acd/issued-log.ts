import type { AuditStore } from '../../ports/storage.ts';
import { DomainError, isDomainError } from '../errors.ts';
import { canonicalJson } from '../jcs.ts';

/** Document kind of the issued ACD Records (`seq` 1, 2, …; `docId` = `acd_session_id`). */
export const ACD_RECORD_DOCUMENT_KIND = 'acd_record';

/** What the kernel keeps of an issued record (never its body): enough to accept the provider's report. */
export type IssuedAcd = {
  acd_session_id: string;
  aep_session_id: string;
  resource_provider_id: string | null;
  acd_record_hash: string;
  acd_validity_not_after: string;
};

export type IssuedLogDeps = {
  store: AuditStore;
  io: <T>(op: () => Promise<T>, write: boolean) => Promise<T>;
  nowMs: () => number;
  validitySeconds: number;
};

const PAGE = 500;
/** Most records held in memory; the oldest beyond are forgotten (their reports answer 404). */
const MAX_HELD = 100_000;

/**
 * The issued ACD Records, stored as documents so that a provider's report
 * (`POST /v1/acd/{id}/grant`) is accepted after a restart and by any kernel instance sharing the
 * store. At start only the records still within the validity window are read (found by binary
 * search on the stored time); a report for an id not held reads the records stored since.
 */
export class IssuedAcdLog {
  private readonly d: IssuedLogDeps;
  private readonly held = new Map<string, IssuedAcd>();
  /** Highest sequence read from the store (records of other instances are found from here). */
  private readTop = 0;
  /** Highest sequence this instance took for its own records (taken before the write, so concurrent adds never collide here). */
  private taken = 0;

  constructor(deps: IssuedLogDeps) {
    this.d = deps;
  }

  /** Reads the records of the validity window (at start). */
  async load(): Promise<void> {
    const { store, io } = this.d;
    const latest = await io(() => store.latestDocument(ACD_RECORD_DOCUMENT_KIND), false);
    if (!latest) return;
    const since = this.d.nowMs() - this.d.validitySeconds * 1000;
    // the first sequence stored within the window
    let lo = 1;
    let hi = latest.seq;
    while (lo < hi) {
      const mid = Math.floor((lo + hi) / 2);
      const doc = await io(() => store.getDocument(ACD_RECORD_DOCUMENT_KIND, mid), false);
      if (doc && Date.parse(doc.createdAt) >= since) hi = mid;
      else lo = mid + 1;
    }
    await this.readFrom(lo);
  }

  /** Stores an issued record under the next free sequence (one taken by another instance is retried). */
  async add(entry: IssuedAcd, createdAt: string): Promise<void> {
    // an id some instance already issued a record under is never issued again (the caller draws anew)
    if (this.held.has(entry.acd_session_id)) throw new DomainError('CONFLICT', `an ACD Record \`${entry.acd_session_id}\` was already issued`);
    for (let attempt = 1; ; attempt++) {
      const seq = (this.taken = Math.max(this.taken, this.readTop) + 1);
      try {
        await this.d.io(() => this.d.store.putDocument({ kind: ACD_RECORD_DOCUMENT_KIND, seq, docId: entry.acd_session_id, body: canonicalJson(entry), createdAt }), true);
        this.hold(entry);
        return;
      } catch (e) {
        if (!isDomainError(e, 'CONFLICT') || attempt >= 8) throw e;
        await this.readFrom(this.readTop + 1);
      }
    }
  }

  /** Whether a record with this `acd_session_id` is held (stored by any instance, read at start or since). */
  has(acdSessionId: string): boolean {
    return this.held.has(acdSessionId);
  }

  /**
   * The issued record `acdSessionId`; when not held, the store is read again from a page before
   * the last sequence read (a record another instance was still writing then is found too).
   */
  async find(acdSessionId: string): Promise<IssuedAcd | undefined> {
    const known = this.held.get(acdSessionId);
    if (known) return known;
    await this.readFrom(Math.max(1, this.readTop - PAGE + 1));
    return this.held.get(acdSessionId);
  }

  private async readFrom(from: number): Promise<void> {
    let next = from;
    for (;;) {
      const page = await this.d.io(() => this.d.store.listDocuments(ACD_RECORD_DOCUMENT_KIND, next, PAGE), false);
      for (const doc of page) {
        this.hold(parse(doc.body, doc.seq));
        this.readTop = Math.max(this.readTop, doc.seq);
        next = doc.seq + 1;
      }
      if (page.length < PAGE) return;
    }
  }

  private hold(entry: IssuedAcd): void {
    if (this.held.has(entry.acd_session_id)) return;
    this.held.set(entry.acd_session_id, entry);
    if (this.held.size > MAX_HELD) {
      const oldest = this.held.keys().next();
      if (!oldest.done) this.held.delete(oldest.value);
    }
  }
}

function parse(body: string, seq: number): IssuedAcd {
  let e: Partial<IssuedAcd>;
  try {
    e = JSON.parse(body) as Partial<IssuedAcd>;
  } catch {
    throw new DomainError('AUDIT_TAMPERED', `the issued ACD Record entry ${seq} is not JSON`);
  }
  if (typeof e.acd_session_id !== 'string' || typeof e.aep_session_id !== 'string' || typeof e.acd_validity_not_after !== 'string') {
    throw new DomainError('AUDIT_TAMPERED', `the issued ACD Record entry ${seq} is malformed`);
  }
  return e as IssuedAcd;
}
