import type { Session, SessionBlock, SessionStatus } from '../kernel/types.ts';

/** One stored audit record: the canonical JCS text is authoritative, the rest is indexing. */
export type StoredRecord = {
  sessionId: string;
  aleSeq: number;
  aleType: string;
  /** RFC 8785 JCS text of the record: exactly the bytes hashed into the chain and the Merkle tree. */
  canonical: string;
  /** SHA-256(canonical), lowercase hex: the next record's `prev_span_hash`. */
  hash: string;
};

export type StatusChange = { sessionId: string; status: SessionStatus };

/** One leaf of the kernel's block log: Session Block headers form an append-only RFC 9162 log. */
export type BlockLogLeaf = { index: number; blockId: string; leafHash: string };

/**
 * A governance document kept as its exact text: an accepted CAP Profile (`cap_profile`), an
 * issued GEC Manifest (`gec_manifest`), a signed block log checkpoint (`block_log_checkpoint`)
 * or an agent registry event (`agent_registry`). Append-only; `seq` (1, 2, …) is the caller's monotone counter per
 * kind (profile activation, manifest epoch, tree size).
 */
export type StoredDocument = { kind: string; seq: number; docId: string; body: string; createdAt: string };

/**
 * Durable audit storage (GAR). Every write is one transaction, durable when the promise
 * resolves. Implementations translate driver errors into DomainError `GAR_UNAVAILABLE`, and
 * unique-key violations into `CONFLICT`.
 */
export interface AuditStore {
  createSession(session: Session, first: StoredRecord): Promise<void>;
  getSession(sessionId: string): Promise<Session | null>;
  /** Up to `limit` sessions in `status` (any order): at start, closes a crash interrupted are completed. */
  sessionsWithStatus(status: SessionStatus, limit: number): Promise<Session[]>;
  /** The record with the highest `ale_seq` of the session, or null. */
  lastRecord(sessionId: string): Promise<StoredRecord | null>;
  /**
   * Appends records of any sessions and applies status changes, all in one transaction (group
   * commit): all or none. Rejects with CONFLICT if any `(sessionId, aleSeq)` exists.
   */
  appendRecords(records: readonly StoredRecord[], statuses?: readonly StatusChange[]): Promise<void>;
  /** All records of a session in `ale_seq` order. */
  listRecords(sessionId: string): Promise<StoredRecord[]>;
  setSessionStatus(sessionId: string, status: SessionStatus): Promise<void>;
  /**
   * Stores the signed block, appends its leaf to the block log and marks the session CLOSED, in
   * one transaction. Rejects with CONFLICT if the block or the log index exists.
   */
  storeBlock(block: SessionBlock, leaf: BlockLogLeaf): Promise<void>;
  getBlock(blockId: string): Promise<SessionBlock | null>;
  /** Number of leaves in the block log. */
  blockLogSize(): Promise<number>;
  /** Block log leaves with `from <= index < to`, in index order. */
  blockLogLeaves(from: number, to: number): Promise<BlockLogLeaf[]>;
  /** The log leaf of a block, or null. */
  blockLogLeaf(blockId: string): Promise<BlockLogLeaf | null>;
  /** Appends a document. Rejects with CONFLICT if `(kind, seq)` exists. */
  putDocument(doc: StoredDocument): Promise<void>;
  /** The document of `kind` with the highest `seq`, or null. */
  latestDocument(kind: string): Promise<StoredDocument | null>;
  /** The document `(kind, seq)`, or null. */
  getDocument(kind: string, seq: number): Promise<StoredDocument | null>;
  /** Up to `limit` documents of `kind` with `seq >= fromSeq`, in `seq` order (replaying a kind's history, e.g. the agent registry). */
  listDocuments(kind: string, fromSeq: number, limit: number): Promise<StoredDocument[]>;
}
