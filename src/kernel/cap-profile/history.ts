import type { AuditStore, StoredDocument } from '../../ports/storage.ts';
import { DomainError } from '../errors.ts';
import { CAP_PROFILE_DOCUMENT } from '../policy/policy-registry.ts';
import type { Json } from '../types.ts';

/** One accepted, signed CAP Profile update as stored (its `seq` orders the updates). */
export type CapProfileUpdateEntry = { seq: number; doc_id: string; stored_at: string };

/** Most updates listed in one answer (newest last). */
export const MAX_LISTED_UPDATES = 1000;

type Io = <T>(op: () => Promise<T>, write: boolean) => Promise<T>;

/**
 * The signed CAP Profile updates the kernel accepted, read back from the documents it stored
 * them in before activating each one (the built-in profile, version 0, is not among them). The
 * bodies are the JWS as submitted: anyone can check the publisher signatures again.
 */
export class CapProfileHistory {
  private readonly store: AuditStore;
  private readonly io: Io;

  constructor(deps: { store: AuditStore; io: Io }) {
    this.store = deps.store;
    this.io = deps.io;
  }

  /** The latest `MAX_LISTED_UPDATES` updates, oldest first. */
  async list(): Promise<CapProfileUpdateEntry[]> {
    const latest = await this.io(() => this.store.latestDocument(CAP_PROFILE_DOCUMENT), false);
    if (!latest) return [];
    const from = Math.max(1, latest.seq - MAX_LISTED_UPDATES + 1);
    const docs: StoredDocument[] = await this.io(() => this.store.listDocuments(CAP_PROFILE_DOCUMENT, from, MAX_LISTED_UPDATES), false);
    return docs.map((d) => ({ seq: d.seq, doc_id: d.docId, stored_at: d.createdAt }));
  }

  /** Update `seq` as submitted (the JWS JSON); NOT_FOUND when there is none. */
  async read(seq: number): Promise<{ seq: number; doc_id: string; stored_at: string; jws: Json }> {
    const doc = await this.io(() => this.store.getDocument(CAP_PROFILE_DOCUMENT, seq), false);
    if (!doc) throw new DomainError('NOT_FOUND', `no stored CAP Profile update ${seq}`);
    return { seq: doc.seq, doc_id: doc.docId, stored_at: doc.createdAt, jws: JSON.parse(doc.body) as Json };
  }
}
