import { and, asc, count, desc, eq, gte, lt } from 'drizzle-orm';
import type { PgDatabase, PgQueryResultHKT } from 'drizzle-orm/pg-core';
import { DomainError } from '../../kernel/errors.ts';
import { blockFromRow, blockToRow, leafFromRow } from '../sql-rows.ts';
import type { Session, SessionBlock, SessionStatus } from '../../kernel/types.ts';
import type { AuditStore, BlockLogLeaf, StatusChange, StoredDocument, StoredRecord } from '../../ports/storage.ts';
import { auditRecords, blockLog, documents, type schema, sessionBlocks, sessions } from './schema.ts';

/** Rows per INSERT statement: 5 parameters a row stays far below PostgreSQL's 65535 bind limit. */
const ROWS_PER_INSERT = 1000;

/** SQLSTATE of a unique-key violation. */
const UNIQUE_VIOLATION = '23505';

/** SQLSTATEs after which PostgreSQL rolled the whole statement or transaction back, so it may be retried. */
const TRANSIENT = new Set(['40001', '40P01']); // serialization_failure, deadlock_detected

const ATTEMPTS = 3;

/**
 * A drizzle database over PostgreSQL: `drizzle-orm/node-postgres` on a `pg` pool by default.
 * Transactions run at the default READ COMMITTED: every write is an insert under a unique key or
 * an update by key, so concurrent writers meet as unique violations (CONFLICT), never as anomalies.
 */
export type PgDb = PgDatabase<PgQueryResultHKT, typeof schema>;

/** AuditStore over drizzle + PostgreSQL. */
export class PostgresAuditStore implements AuditStore {
  private readonly db: PgDb;

  constructor(db: PgDb) {
    this.db = db;
  }

  async createSession(session: Session, first: StoredRecord): Promise<void> {
    await this.run(() =>
      this.db.transaction(async (tx) => {
        await tx.insert(sessions).values({
          sessionId: session.session_id,
          blockId: session.block_id,
          agentId: session.agent_id,
          status: session.status,
          createdAt: session.created_at,
        });
        await tx.insert(auditRecords).values(first);
      }),
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
      this.db.select().from(auditRecords).where(eq(auditRecords.sessionId, sessionId)).orderBy(desc(auditRecords.aleSeq)).limit(1),
    );
    return rows[0] ?? null;
  }

  async appendRecords(records: readonly StoredRecord[], statuses: readonly StatusChange[] = []): Promise<void> {
    if (records.length === 0 && statuses.length === 0) return;
    await this.run(() =>
      this.db.transaction(async (tx) => {
        for (let i = 0; i < records.length; i += ROWS_PER_INSERT) {
          await tx.insert(auditRecords).values(records.slice(i, i + ROWS_PER_INSERT));
        }
        for (const s of statuses) await tx.update(sessions).set({ status: s.status }).where(eq(sessions.sessionId, s.sessionId));
      }),
    );
  }

  async setSessionStatus(sessionId: string, status: SessionStatus): Promise<void> {
    await this.run(() => this.db.update(sessions).set({ status }).where(eq(sessions.sessionId, sessionId)));
  }

  async listRecords(sessionId: string): Promise<StoredRecord[]> {
    return this.run(() => this.db.select().from(auditRecords).where(eq(auditRecords.sessionId, sessionId)).orderBy(asc(auditRecords.aleSeq)));
  }

  async storeBlock(block: SessionBlock, leaf: BlockLogLeaf): Promise<void> {
    await this.run(() =>
      this.db.transaction(async (tx) => {
        await tx.insert(blockLog).values({ idx: leaf.index, blockId: leaf.blockId, leafHash: leaf.leafHash });
        await tx.insert(sessionBlocks).values(blockToRow(block));
        await tx.update(sessions).set({ status: 'CLOSED' }).where(eq(sessions.sessionId, block.session_id));
      }),
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


  /**
   * Runs one statement or one whole transaction, retrying it when PostgreSQL rolled it back for a
   * deadlock or serialization failure, and translates the final error.
   */
  private async run<T>(op: () => PromiseLike<T>): Promise<T> {
    for (let attempt = 1; ; attempt++) {
      try {
        return await op();
      } catch (e) {
        const code = sqlState(e);
        if (code !== undefined && TRANSIENT.has(code) && attempt < ATTEMPTS) continue;
        throw toDomainError(e);
      }
    }
  }
}

/** Translates a driver error: unique violations are CONFLICT, anything else GAR_UNAVAILABLE. */
export function toDomainError(e: unknown): DomainError {
  if (e instanceof DomainError) return e;
  if (sqlState(e) === UNIQUE_VIOLATION) return new DomainError('CONFLICT', 'the record already exists', { cause: e });
  return new DomainError('GAR_UNAVAILABLE', 'the audit store is unavailable', { cause: e });
}

/** The SQLSTATE of a PostgreSQL error, looked up through drizzle's wrapping `cause` chain. */
function sqlState(e: unknown): string | undefined {
  for (let cur: unknown = e, depth = 0; cur && depth < 5; depth++) {
    const code = (cur as { code?: unknown }).code;
    if (typeof code === 'string' && /^[0-9A-Z]{5}$/.test(code)) return code;
    cur = cur instanceof Error ? cur.cause : undefined;
  }
  return undefined;
}
