import { expandConfig } from '@libsql/core/config';
import Database from 'libsql';
import type { DomainError } from '../../kernel/errors.ts';
import type { Session, SessionStatus } from '../../kernel/types.ts';
import type { StatusChange, StoredRecord } from '../../ports/storage.ts';
import { byKey, putRow } from './batch-rows.ts';
import { busyTimeout } from './client.ts';
import { READ_BACK, settingsFrom, settingsProblem, settingStatements, type ConnectionSettings } from './pragmas.ts';
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
  private readonly path: string;
  private readonly busyTimeoutMs: number;
  private db!: Database.Database;
  private begin!: Statement;
  private commit!: Statement;
  private rollback!: Statement;
  private chunk!: Statement;
  private single!: Statement;
  private status!: Statement;
  private session!: Statement;
  /** The connection was dropped after a failure (`discard`): the next call opens a new one. */
  private dropped = false;
  private closed = false;
  private readonly chunkArgs: (string | number)[] = new Array<string | number>(5 * CHUNK_ROWS);

  private constructor(path: string, busyTimeoutMs: number) {
    this.path = path;
    this.busyTimeoutMs = busyTimeoutMs;
    this.connect();
  }

  /**
   * Opens a second connection on an embedded database file (`file:` URL) already migrated.
   * `busyTimeoutMs`: how long a batch waits for a write lock another connection holds before it
   * fails with GAR_UNAVAILABLE (default 5 s, as the client connection).
   */
  static open(url: string, options: { busyTimeoutMs?: number } = {}): NativeRecordWriter {
    const { path } = expandConfig({ url }, true);
    return new NativeRecordWriter(path, busyTimeout(options.busyTimeoutMs));
  }

  /** Opens the connection and prepares its statements (the schema exists: the caller has migrated the database). */
  private connect(): void {
    // the busy timeout from the start: the settings below wait for a lock like any statement
    const db = new Database(this.path, { timeout: this.busyTimeoutMs });
    try {
      for (const sql of settingStatements(this.busyTimeoutMs)) db.exec(sql);
      db.exec(`PRAGMA wal_autocheckpoint=${WAL_AUTOCHECKPOINT_PAGES}`);
      // a connection that does not report the settings (`pragmas.ts`) is not used
      const problem = settingsProblem(readSettings(db), this.busyTimeoutMs);
      if (problem) throw new Error(`the native libSQL connection does not take the store's settings: ${problem}`);
      this.begin = db.prepare('BEGIN IMMEDIATE');
      this.commit = db.prepare('COMMIT');
      this.rollback = db.prepare('ROLLBACK');
      const row = '(?,?,?,?,?)';
      const insert = 'INSERT INTO audit_records (session_id, ale_seq, ale_type, canonical, hash) VALUES ';
      this.chunk = db.prepare(insert + new Array<string>(CHUNK_ROWS).fill(row).join(','));
      this.single = db.prepare(insert + row);
      this.status = db.prepare('UPDATE sessions SET status = ? WHERE session_id = ?');
      this.session = db.prepare('SELECT session_id, block_id, agent_id, status, created_at FROM sessions WHERE session_id = ?');
    } catch (e) {
      db.close();
      throw e;
    }
    this.db = db;
  }

  /** The connection, opened again if a failure dropped it; GAR_UNAVAILABLE if it cannot be. */
  private ready(): void {
    if (!this.dropped) return;
    if (this.closed) throw storeError(new Error('the native record writer is closed'));
    try {
      this.connect();
    } catch (e) {
      throw storeError(e);
    }
    this.dropped = false;
  }

  /**
   * Drops the connection after a failure it may not have recovered from, and returns the error
   * to throw. The binding never resets a statement that failed: one that failed with
   * SQLITE_BUSY (a `BEGIN IMMEDIATE`, a lone INSERT or UPDATE, while another connection holds
   * the write lock) stays active, counted by SQLite as a write in progress, and while it is, a
   * lone statement's own transaction is not committed when it returns (SQLite commits a
   * statement outside `BEGIN` only once no other write statement is active), yet the connection
   * reports no transaction open (`inTransaction` false: SQLite's autocommit flag is still set).
   * The next run of the failed statement resets it and rolls back all of that. So no state of
   * this connection is trusted after such a failure: what may be open is rolled back, the
   * connection is closed, and the next call opens a new one.
   */
  private discard(e: unknown): DomainError {
    try {
      this.rollback.run();
    } catch {
      /* no transaction was open */
    }
    try {
      this.db.close();
    } catch {
      /* closed already */
    }
    this.dropped = true;
    return storeError(e);
  }

  /**
   * Appends the records and applies the status changes in one transaction: all or none. Rows go
   * in in the order of `byKey`. A batch of one statement is that statement's own transaction (`alone`). Throws CONFLICT if an `ale_seq` does not follow its session's head,
   * GAR_UNAVAILABLE for anything else; after a failure nothing of the batch is stored.
   */
  append(records: readonly StoredRecord[], statuses: readonly StatusChange[] = []): void {
    if (records.length === 0 && statuses.length === 0) return;
    this.ready();
    // a transaction left open would swallow a lone statement uncommitted: then BEGIN below
    // fails instead, and says why
    if (records.length + statuses.length === 1 && !this.db.inTransaction) return this.alone(records[0], statuses[0]);
    const sorted = records.length > 1 ? [...records].sort(byKey) : records;
    try {
      this.begin.run();
    } catch (e) {
      // SQLITE_BUSY leaves BEGIN active (see discard)
      throw this.discard(e);
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
      // a refused row (CONFLICT) ended its statement; the transaction is rolled back here and
      // the connection kept if that leaves it outside any transaction. Anything else (a failed
      // COMMIT may leave the transaction open and itself active): the connection is dropped.
      // Either way nothing of the batch is stored.
      const err = storeError(e);
      if (err.code !== 'CONFLICT') throw this.discard(e);
      try {
        this.rollback.run();
      } catch {
        throw this.discard(e);
      }
      if (this.db.inTransaction) throw this.discard(e);
      throw err;
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
   * at its start, the same busy timeout) and commits it, fsynced, before it returns, provided
   * no other write statement of the connection is active: after any failure but a refused row
   * the connection is dropped (`discard`), so none ever is. Two statements fewer through the
   * binding per commit (~4 µs of CPU of ~18, tmpfs).
   */
  private alone(record: StoredRecord | undefined, status: StatusChange | undefined): void {
    try {
      if (record) this.single.run([record.sessionId, record.aleSeq, record.aleType, record.canonical, record.hash]);
      else if (status) this.status.run([status.status, status.sessionId]);
    } catch (e) {
      // a refused row ended the statement, which rolled itself back; anything else (SQLITE_BUSY
      // leaves it active) drops the connection. Nothing of it is stored.
      const err = storeError(e);
      if (err.code !== 'CONFLICT' || this.db.inTransaction) throw this.discard(e);
      throw err;
    }
  }

  /**
   * A session by id, or null, read on this connection with a prepared statement: every
   * authorization reads its session, and through drizzle and `@libsql/client` (a query built,
   * parsed and prepared each time) that cost ~180 µs of the worker's CPU per decision. Reads
   * see every transaction committed on either connection (WAL).
   */
  getSession(sessionId: string): Session | null {
    this.ready();
    try {
      const r = this.session.get([sessionId]) as SessionRow | undefined;
      return r ? { session_id: r.session_id, block_id: r.block_id, agent_id: r.agent_id, status: r.status, created_at: r.created_at } : null;
    } catch (e) {
      throw this.discard(e);
    }
  }

  /** What this writer's connection runs with (opened again first if a failure dropped it). */
  settings(): ConnectionSettings {
    this.ready();
    return readSettings(this.db);
  }

  close(): void {
    if (!this.dropped) this.db.close();
    this.dropped = true;
    this.closed = true;
  }
}

/** The settings a native connection reports (`pragmas.ts` READ_BACK). */
function readSettings(db: Database.Database): ConnectionSettings {
  return settingsFrom(READ_BACK.map((sql) => (db.prepare(sql).raw().get() as unknown[] | undefined)?.[0]));
}
