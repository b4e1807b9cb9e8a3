import { bigint, index, integer, pgTable, primaryKey, text } from 'drizzle-orm/pg-core';

// The same tables and columns as the SQLite schema (src/adapters/libsql/schema.ts).

/** Agent sessions; one Session Block each. */
export const sessions = pgTable('sessions', {
  sessionId: text('session_id').primaryKey(),
  blockId: text('block_id').notNull().unique(),
  agentId: text('agent_id').notNull(),
  status: text('status', { enum: ['OPEN', 'CLOSING', 'CLOSED', 'TAMPERED'] }).notNull(),
  createdAt: text('created_at').notNull(),
});

/** The GAR write stream: one row per audit record; `canonical` (JCS) is authoritative. */
export const auditRecords = pgTable(
  'audit_records',
  {
    sessionId: text('session_id').notNull(),
    aleSeq: integer('ale_seq').notNull(),
    aleType: text('ale_type').notNull(),
    canonical: text('canonical').notNull(),
    hash: text('hash').notNull(),
  },
  (t) => [primaryKey({ columns: [t.sessionId, t.aleSeq] })],
);

/** Signed Session Blocks. A row exists only once the block is signed. */
export const sessionBlocks = pgTable('session_blocks', {
  blockId: text('block_id').primaryKey(),
  sessionId: text('session_id').notNull().unique(),
  merkleRoot: text('merkle_root').notNull(),
  blockCloseTimestamp: text('block_close_timestamp').notNull(),
  recordCount: integer('record_count').notNull(),
  signatureAlgorithm: text('signature_algorithm').notNull(),
  keyId: text('key_id').notNull(),
  publicKey: text('public_key').notNull(),
  signature: text('signature').notNull(),
  /** FROST: the participants whose shares the signature aggregates, comma-separated ascending (`block_signature.participants`); null for one key. */
  signers: text('signers'),
});

/** The block log: one RFC 9162 leaf per Session Block header, in close order (append-only). */
export const blockLog = pgTable('block_log', {
  idx: integer('idx').primaryKey(),
  blockId: text('block_id').notNull().unique(),
  leafHash: text('leaf_hash').notNull(),
});

/** Signed governance documents (CAP Profiles, GEC Manifests), append-only per kind. */
export const documents = pgTable(
  'documents',
  {
    kind: text('kind').notNull(),
    seq: integer('seq').notNull(),
    docId: text('doc_id').notNull(),
    body: text('body').notNull(),
    createdAt: text('created_at').notNull(),
  },
  (t) => [primaryKey({ columns: [t.kind, t.seq] })],
);

/**
 * Agent assertion and DPoP proof ids seen, shared by the kernels of one database (several
 * instances on one PostgreSQL): a row per id until `expires_at` (Unix seconds), when its proof
 * could no longer be accepted anyway (`PostgresReplayStore`, docs/identity.md "Replay caches").
 */
export const replayIds = pgTable(
  'replay_ids',
  {
    id: text('id').primaryKey(),
    expiresAt: bigint('expires_at', { mode: 'number' }).notNull(),
  },
  // the sweep of expired ids reads only those, not the whole table
  (t) => [index('replay_ids_expires_at').on(t.expiresAt)],
);

export const schema = { sessions, auditRecords, sessionBlocks, blockLog, documents, replayIds };
