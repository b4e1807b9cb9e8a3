import { and, asc, count, desc, eq, gte, lt, sql, type SQL } from 'drizzle-orm';
import type { BaseSQLiteDatabase } from 'drizzle-orm/sqlite-core';
import { DomainError } from '../../kernel/errors.ts';
import { blockFromRow, blockToRow, leafFromRow } from '../sql-rows.ts';
import type { Session, SessionBlock, SessionStatus } from '../../kernel/types.ts';
import type { AuditStore, BlockLogLeaf, StatusChange, StoredDocument, StoredRecord } from '../../ports/storage.ts';
import { auditHeads, auditRecords, blockLog, documents, schema, sessionBlocks, sessions } from './schema.ts';

/** Rows per INSERT statement: 5 parameters a row stays far below SQLite's variable limit. */
export const ROWS_PER_INSERT = 500;

/**
 * A drizzle database over an async SQLite driver: `drizzle-orm/libsql` (embedded file in WAL
 * mode, or libSQL over HTTP) or `drizzle-orm/d1` on workerd. Both offer `batch`, which runs its
 * statements in one transaction.
 */
export type SqliteDb = BaseSQLiteDatabase<'async', unknown, typeof schema> & {
  batch(queries: readonly unknown[]): Promise<unknown>;
};

type RecordRow = { session_id: string; ale_seq: number; ale_type: string; canonical: string; hash: string };
const RECORD_COLUMNS = sql.raw('session_id, ale_seq, ale_type, canonical, hash');
const fromRow = (r: RecordRow): StoredRecord => ({ sessionId: r.session_id, aleSeq: Number(r.ale_seq), aleType: r.ale_type, canonical: r.canonical, hash: r.hash });

/** True when the rows' `ale_seq` run exactly 1..n: what an intact chain walk gives. */
function isWholeChain(rows: readonly RecordRow[]): boolean {
  for (let i = 0; i < rows.length; i++) if (Number((rows[i] as RecordRow).ale_seq) !== i + 1) return false;
  return true;
}

/** rowid of a session's last record: its audit_heads row while open, `sessions.last_rowid` once closed. */
const headOf = (sessionId: string): SQL =>
  sql`COALESCE((SELECT head_rowid FROM audit_heads WHERE session_id = ${sessionId}), (SELECT last_rowid FROM sessions WHERE session_id = ${sessionId}))`;

/** AuditStore over drizzle + SQLite (libSQL by default, D1 on workerd). */
export class SqliteAuditStore implements AuditStore {
  private readonly db: SqliteDb;

  constructor(db: SqliteDb) {
    this.db = db;
  }

  async createSession(session: Session, first: StoredRecord): Promise<void> {
    await this.run(() =>
      this.db.batch([
        this.db.insert(sessions).values({
          sessionId: session.session_id,
          blockId: session.block_id,
          agentId: session.agent_id,
          status: session.status,
          createdAt: session.created_at,
        }),
        this.db.insert(auditRecords).values(first),
      ]),
    );
  }

  async getSession(sessionId: string): Promise<Session | null> {
    const rows = await this.run(() => this.db.select().from(sessions).where(eq(sessions.sessionId, sessionId)).limit(1));
    const r = rows[0];
    return r ? { session_id: r.sessionId, block_id: r.blockId, agent_id: r.agentId, status: r.status, created_at: r.createdAt } : null;
  }

  async sessionsWithStatus(status: SessionStatus, limit: number): Promise<Session[]> {
    const rows = await this.run(() => this.db.select().from(sessions).where(eq(sessions.status, status)).limit(limit));
    return rows.map((r) => ({ session_id: r.sessionId, block_id: r.blockId, agent_id: r.agentId, status: r.status, created_at: r.createdAt }));
  }

  async lastRecord(sessionId: string): Promise<StoredRecord | null> {
    const rows = await this.run(() =>
      this.db.all<RecordRow>(sql`SELECT ${RECORD_COLUMNS} FROM audit_records WHERE rowid = ${headOf(sessionId)} AND session_id = ${sessionId}`),
    );
    return rows[0] ? fromRow(rows[0]) : null;
  }

  async appendRecords(records: readonly StoredRecord[], statuses: readonly StatusChange[] = []): Promise<void> {
    const queries: unknown[] = [];
    for (let i = 0; i < records.length; i += ROWS_PER_INSERT) {
      queries.push(this.db.insert(auditRecords).values(records.slice(i, i + ROWS_PER_INSERT)));
    }
    for (const s of statuses) queries.push(this.db.update(sessions).set({ status: s.status }).where(eq(sessions.sessionId, s.sessionId)));
    if (queries.length === 0) return;
    await this.run(() => this.db.batch(queries));
  }

  async setSessionStatus(sessionId: string, status: SessionStatus): Promise<void> {
    await this.run(() => this.db.update(sessions).set({ status }).where(eq(sessions.sessionId, sessionId)));
  }

  /**
   * Walks the session's chain back from its head through `prev_rowid` (UNION stops at a cycle;
   * the walk never leaves the session). A deleted row ends the walk there: the verifier then
   * finds the chain incomplete.
   */
  /**
   * A session's records in `ale_seq` order, by walking its links back from the head. If the walk
   * does not give exactly 1..n (a row deleted or moved, a link or head altered: tampering), the
   * table is scanned for every row of the session instead, so that the verifier sees what is
   * left and names the first break itself (the record after a deleted one, not the first record
   * after a cut link). The scan reads the whole table, and happens only on tampering.
   */
  async listRecords(sessionId: string): Promise<StoredRecord[]> {
    const rows = await this.run(() =>
      this.db.all<RecordRow>(sql`WITH RECURSIVE chain(rid) AS (
          SELECT ${headOf(sessionId)}
          UNION
          SELECT r.prev_rowid FROM audit_records r JOIN chain c ON r.rowid = c.rid WHERE r.session_id = ${sessionId} AND r.prev_rowid IS NOT NULL
        )
        SELECT ${RECORD_COLUMNS} FROM audit_records WHERE rowid IN (SELECT rid FROM chain) AND session_id = ${sessionId} ORDER BY ale_seq, rowid`),
    );
    if (isWholeChain(rows) && (rows.length > 0 || !(await this.getSession(sessionId)))) return rows.map(fromRow);
    const all = await this.run(() =>
      this.db.all<RecordRow>(sql`SELECT ${RECORD_COLUMNS} FROM audit_records WHERE session_id = ${sessionId} ORDER BY ale_seq, rowid`),
    );
    return all.map(fromRow);
  }

  async storeBlock(block: SessionBlock, leaf: BlockLogLeaf): Promise<void> {
    await this.run(() =>
      this.db.batch([
        this.db.insert(blockLog).values({ idx: leaf.index, blockId: leaf.blockId, leafHash: leaf.leafHash }),
        this.db.insert(sessionBlocks).values(blockToRow(block)),
        // the closed session's head moves to its sessions row: audit_heads holds open sessions only
        this.db
          .update(sessions)
          .set({ status: 'CLOSED', lastRowid: sql`(SELECT head_rowid FROM audit_heads WHERE session_id = ${block.session_id})` })
          .where(eq(sessions.sessionId, block.session_id)),
        this.db.delete(auditHeads).where(eq(auditHeads.sessionId, block.session_id)),
      ]),
    );
  }

  async getBlock(blockId: string): Promise<SessionBlock | null> {
    const rows = await this.run(() => this.db.select().from(sessionBlocks).where(eq(sessionBlocks.blockId, blockId)).limit(1));
    const r = rows[0];
    return r ? blockFromRow(r) : null;
  }

  async blockLogSize(): Promise<number> {
    const rows = await this.run(() => this.db.select({ n: count() }).from(blockLog));
    return rows[0]?.n ?? 0;
  }

  async blockLogLeaves(from: number, to: number): Promise<BlockLogLeaf[]> {
    const rows = await this.run(() =>
      this.db.select().from(blockLog).where(and(gte(blockLog.idx, from), lt(blockLog.idx, to))).orderBy(asc(blockLog.idx)),
    );
    return rows.map(leafFromRow);
  }

  async blockLogLeaf(blockId: string): Promise<BlockLogLeaf | null> {
    const rows = await this.run(() => this.db.select().from(blockLog).where(eq(blockLog.blockId, blockId)).limit(1));
    const r = rows[0];
    return r ? leafFromRow(r) : null;
  }
  async putDocument(doc: StoredDocument): Promise<void> {
    await this.run(() => this.db.insert(documents).values(doc));
  }

  async latestDocument(kind: string): Promise<StoredDocument | null> {
    const rows = await this.run(() => this.db.select().from(documents).where(eq(documents.kind, kind)).orderBy(desc(documents.seq)).limit(1));
    return rows[0] ?? null;
  }

  async getDocument(kind: string, seq: number): Promise<StoredDocument | null> {
    const rows = await this.run(() => this.db.select().from(documents).where(and(eq(documents.kind, kind), eq(documents.seq, seq))).limit(1));
    return rows[0] ?? null;
  }

  async listDocuments(kind: string, fromSeq: number, limit: number): Promise<StoredDocument[]> {
    return this.run(() => this.db.select().from(documents).where(and(eq(documents.kind, kind), gte(documents.seq, fromSeq))).orderBy(asc(documents.seq)).limit(limit));
  }


  /** Translates driver errors: constraint violations are CONFLICT, anything else GAR_UNAVAILABLE. */
  protected async run<T>(op: () => PromiseLike<T>): Promise<T> {
    try {
      return await op();
    } catch (e) {
      throw storeError(e);
    }
  }
}

/** A driver error as the kernel sees it: a constraint violation is CONFLICT, anything else GAR_UNAVAILABLE. */
export function storeError(e: unknown): DomainError {
  if (isConstraintError(e)) return new DomainError('CONFLICT', 'the record already exists', { cause: e });
  return new DomainError('GAR_UNAVAILABLE', 'the audit store is unavailable', { cause: e });
}

function isConstraintError(e: unknown): boolean {
  for (let cur: unknown = e, depth = 0; cur && depth < 5; depth++) {
    const msg = cur instanceof Error ? `${cur.message} ${(cur as { code?: string }).code ?? ''}` : String(cur);
    if (/constraint/i.test(msg)) return true;
    cur = cur instanceof Error ? cur.cause : undefined;
  }
  return false;
}
