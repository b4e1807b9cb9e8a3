import { expandConfig } from '@libsql/core/config';
import Database from 'libsql';
import type { Session, SessionStatus } from '../../kernel/types.ts';
import type { StatusChange, StoredRecord } from '../../ports/storage.ts';
import { byKey, putRow } from './batch-rows.ts';
import { PAGE_CACHE_KIB } from './open-libsql.ts';
import { storeError } from './store.ts';

/**
 * WAL size (pages) at which a commit also checkpoints. Small, so that each checkpoint is short
 * (1-2 ms) instead of rare and long; a checkpoint on another connection would have to make the
 * writer wait with SQLite's busy handler (sleeps of 1 to 100 ms) to ever reset the WAL.
 */
export const WAL_AUTOCHECKPOINT_PAGES = 300;

/** Rows per prepared multi-row INSERT; a batch is sent as chunks of this size, then single rows. */
export const CHUNK_ROWS = 32;

/** The part of the binding's prepared statement used here. */
type Statement = { run(...params: unknown[]): unknown; get(...params: unknown[]): unknown };

type SessionRow = { session_id: string; block_id: string; agent_id: string; status: SessionStatus; created_at: string };

/**
 * The group-commit hot path on libSQL's native binding (the `libsql` package that
 * `@libsql/client` itself runs on): one connection whose statements are prepared once and
 * reused, where `@libsql/client` parses and prepares every statement of every batch again
 * (a 500-row INSERT is 2,500 parameters to parse). A batch is one `BEGIN IMMEDIATE … COMMIT`
 * on this connection, synchronous: it returns once COMMIT has returned, i.e. (WAL,
 * `synchronous=FULL`) once the WAL is fsynced.
 *
 * It checkpoints often and little (WAL_AUTOCHECKPOINT_PAGES): a checkpoint copies the pages
 * written since the last one back into the database file and fsyncs it, inside the commit that
 * crosses the threshold; at SQLite's default of 1,000 pages that commit stalls for 5-15 ms.
 *
 * Only for embedded files; used inside the libSQL worker thread (`src/entry/libsql-worker.ts`).
 */
export class NativeRecordWriter {
  private readonly db: Database.Database;
  private readonly begin: Statement;
  private readonly commit: Statement;
  private readonly rollback: Statement;
  private readonly chunk: Statement;
  private readonly single: Statement;
  private readonly status: Statement;
  private readonly session: Statement;
  private readonly chunkArgs: (string | number)[] = new Array<string | number>(5 * CHUNK_ROWS);

  private constructor(db: Database.Database) {
    this.db = db;
    // statements are prepared after the schema exists (the caller has migrated the database)
    this.begin = db.prepare('BEGIN IMMEDIATE');
    this.commit = db.prepare('COMMIT');
    this.rollback = db.prepare('ROLLBACK');
    const row = '(?,?,?,?,?)';
    const insert = 'INSERT INTO audit_records (session_id, ale_seq, ale_type, canonical, hash) VALUES ';
    this.chunk = db.prepare(insert + new Array<string>(CHUNK_ROWS).fill(row).join(','));
    this.single = db.prepare(insert + row);
    this.status = db.prepare('UPDATE sessions SET status = ? WHERE session_id = ?');
    this.session = db.prepare('SELECT session_id, block_id, agent_id, status, created_at FROM sessions WHERE session_id = ?');
  }

  /**
   * Opens a second connection on an embedded database file (`file:` URL) already migrated.
   * `busyTimeoutMs`: how long a batch waits for a write lock another connection holds before it
   * fails with GAR_UNAVAILABLE (default 5 s, as the client connection).
   */
  static open(url: string, options: { busyTimeoutMs?: number } = {}): NativeRecordWriter {
    const { path } = expandConfig({ url }, true);
    const db = new Database(path);
    db.exec('PRAGMA journal_mode=WAL');
    db.exec('PRAGMA synchronous=FULL');
    db.exec(`PRAGMA busy_timeout=${Math.max(0, Math.trunc(options.busyTimeoutMs ?? 5000))}`);
    db.exec(`PRAGMA cache_size=-${PAGE_CACHE_KIB}`);
    db.exec(`PRAGMA wal_autocheckpoint=${WAL_AUTOCHECKPOINT_PAGES}`);
    return new NativeRecordWriter(db);
  }

  /**
   * Appends the records and applies the status changes in one transaction: all or none. Rows go
   * in in the order of `byKey`. A batch of one statement is that statement's own transaction (`alone`). Throws CONFLICT if an `ale_seq` does not follow its session's head,
   * GAR_UNAVAILABLE for anything else; after a failure nothing of the batch is stored.
   */
  append(records: readonly StoredRecord[], statuses: readonly StatusChange[] = []): void {
    if (records.length === 0 && statuses.length === 0) return;
    // a transaction left open (a failed COMMIT whose ROLLBACK failed too) would swallow a lone
    // statement uncommitted: then BEGIN below fails instead, and says why
    if (records.length + statuses.length === 1 && !this.db.inTransaction) return this.alone(records[0], statuses[0]);
    const sorted = records.length > 1 ? [...records].sort(byKey) : records;
    try {
      this.begin.run();
    } catch (e) {
      throw storeError(e);
    }
    try {
      let i = 0;
      const args = this.chunkArgs;
      for (; i + CHUNK_ROWS <= sorted.length; i += CHUNK_ROWS) {
        for (let j = 0; j < CHUNK_ROWS; j++) putRow(args, j, sorted[i + j] as StoredRecord);
        this.chunk.run(args);
      }
      for (; i < sorted.length; i++) {
        const r = sorted[i] as StoredRecord;
        this.single.run([r.sessionId, r.aleSeq, r.aleType, r.canonical, r.hash]);
      }
      for (const s of statuses) this.status.run([s.status, s.sessionId]);
      this.commit.run();
    } catch (e) {
      // a failed COMMIT may leave the transaction open (SQLITE_BUSY); anything else rolled back
      // by us here. Either way nothing of the batch is stored.
      if (this.db.inTransaction) {
        try {
          this.rollback.run();
        } catch {
          /* the connection is unusable: the next batch fails too, and says why */
        }
      }
      throw storeError(e);
    } finally {
      // the chunk buffer must not keep the batch's strings alive until the next batch
      this.chunkArgs.fill(0);
    }
  }

  /**
   * A batch of one statement (one record, or one status change: every decision and TOOL_RESULT
   * of a gateway making one call at a time) runs as that statement alone, without `BEGIN
   * IMMEDIATE` and `COMMIT` around it: SQLite runs a statement outside a transaction as its own
   * write transaction (its triggers included; all or nothing, the same locks taken the same way
   * at its start, the same busy timeout) and commits it, fsynced, before it returns. Two
   * statements fewer through the binding per commit (~4 µs of CPU of ~18, tmpfs).
   */
  private alone(record: StoredRecord | undefined, status: StatusChange | undefined): void {
    try {
      if (record) this.single.run([record.sessionId, record.aleSeq, record.aleType, record.canonical, record.hash]);
      else if (status) this.status.run([status.status, status.sessionId]);
    } catch (e) {
      // the statement rolled itself back; nothing of it is stored
      throw storeError(e);
    }
  }

  /**
   * A session by id, or null, read on this connection with a prepared statement: every
   * authorization reads its session, and through drizzle and `@libsql/client` (a query built,
   * parsed and prepared each time) that cost ~180 µs of the worker's CPU per decision. Reads
   * see every transaction committed on either connection (WAL).
   */
  getSession(sessionId: string): Session | null {
    try {
      const r = this.session.get([sessionId]) as SessionRow | undefined;
      return r ? { session_id: r.session_id, block_id: r.block_id, agent_id: r.agent_id, status: r.status, created_at: r.created_at } : null;
    } catch (e) {
      throw storeError(e);
    }
  }

  close(): void {
    this.db.close();
  }
}
