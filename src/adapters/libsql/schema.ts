import { index, integer, primaryKey, sqliteTable, text } from 'drizzle-orm/sqlite-core';

/** Agent sessions; one Session Block each. */
export const sessions = sqliteTable('sessions', {
  sessionId: text('session_id').primaryKey(),
  blockId: text('block_id').notNull().unique(),
  agentId: text('agent_id').notNull(),
  status: text('status', { enum: ['OPEN', 'CLOSING', 'CLOSED', 'TAMPERED'] }).notNull(),
  createdAt: text('created_at').notNull(),
  /** rowid of the session's last record, set when its block is stored (its audit_heads row goes). */
  lastRowid: integer('last_rowid'),
});

/**
 * The GAR write stream: one row per audit record, in commit order (rowid); `canonical` (JCS) is
 * authoritative. No index by session: with many sessions writing at once such an index costs a
 * page write per record and commit. Instead each row links to its session's previous row
 * (`prev_rowid`), and `audit_heads` holds the chain head of every open session; the triggers of
 * migration 0003 keep both and refuse any `ale_seq` that is not the head's + 1 (the chain's
 * uniqueness and order guarantee).
 */
export const auditRecords = sqliteTable('audit_records', {
  sessionId: text('session_id').notNull(),
  aleSeq: integer('ale_seq').notNull(),
  aleType: text('ale_type').notNull(),
  canonical: text('canonical').notNull(),
  hash: text('hash').notNull(),
  /** rowid of the session's previous record (null for the first); set by a trigger. */
  prevRowid: integer('prev_rowid'),
});

/**
 * The chain head of each session not yet closed: its last `ale_seq` and that record's rowid.
 * Small (open sessions only), so the heads a commit moves share a few pages.
 */
export const auditHeads = sqliteTable('audit_heads', {
  sessionId: text('session_id').primaryKey(),
  lastSeq: integer('last_seq').notNull(),
  headRowid: integer('head_rowid').notNull(),
});

/** Signed Session Blocks. A row exists only once the block is signed. */
export const sessionBlocks = sqliteTable('session_blocks', {
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
export const blockLog = sqliteTable('block_log', {
  idx: integer('idx').primaryKey(),
  blockId: text('block_id').notNull().unique(),
  leafHash: text('leaf_hash').notNull(),
});

/** Signed governance documents (CAP Profiles, GEC Manifests), append-only per kind. */
export const documents = sqliteTable(
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
 * Agent assertion and DPoP proof ids seen, shared by the kernels of one store (the workerd
 * isolates over one D1): a row per id until `expires_at` (Unix seconds), when its proof could no
 * longer be accepted anyway (`SqliteReplayStore`, docs/identity.md "Replay caches").
 */
export const replayIds = sqliteTable(
  'replay_ids',
  {
    id: text('id').primaryKey(),
    expiresAt: integer('expires_at').notNull(),
  },
  // the sweep of expired ids reads only those (D1 bills rows read), not the whole table
  (t) => [index('replay_ids_expires_at').on(t.expiresAt)],
);

export const schema = { sessions, auditRecords, auditHeads, sessionBlocks, blockLog, documents, replayIds };
