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

/**
 * Durable audit storage (GAR). Implementations translate driver errors into
 * DomainError `GAR_UNAVAILABLE`.
 */
export interface AuditStore {
  createSession(session: Session, first: StoredRecord): Promise<void>;
  getSession(sessionId: string): Promise<Session | null>;
  /** The record with the highest `ale_seq` of the session, or null. */
  lastRecord(sessionId: string): Promise<StoredRecord | null>;
  /** Appends one record; rejects with CONFLICT if `(sessionId, aleSeq)` exists; may set the session status in the same transaction. */
  appendRecord(record: StoredRecord, status?: SessionStatus): Promise<void>;
  /** All records of a session in `ale_seq` order. */
  listRecords(sessionId: string): Promise<StoredRecord[]>;
  /** Stores the signed block and marks the session CLOSED, atomically. */
  storeBlock(block: SessionBlock): Promise<void>;
  getBlock(blockId: string): Promise<SessionBlock | null>;
}
