import type { Client, InStatement } from '@libsql/client';
import { drizzle } from 'drizzle-orm/libsql';
import { migrate } from './migrate.ts';
import { schema } from './schema.ts';
import type { Session } from '../../kernel/types.ts';
import type { StatusChange, StoredRecord } from '../../ports/storage.ts';
import { byKey, putRow } from './batch-rows.ts';
import { ROWS_PER_INSERT, SqliteAuditStore, storeError, type SqliteDb } from './store.ts';

/**
 * A second, native connection (the libSQL worker's NativeRecordWriter) for the hot paths:
 * `append` writes a group-commit batch in one transaction, synchronously (throws CONFLICT or
 * GAR_UNAVAILABLE); `getSession` is the read every authorization makes.
 */
export type NativeConnection = {
  append(records: readonly StoredRecord[], statuses: readonly StatusChange[]): void;
  getSession(sessionId: string): Session | null;
};

/**
 * The libSQL store: drizzle for everything, except the group-commit hot path, which sends
 * pre-built multi-row INSERTs straight to the client in one write transaction (drizzle's
 * builder costs more per row than the insert itself).
 */
export class LibsqlAuditStore extends SqliteAuditStore {
  private readonly client: Client;
  /** The INSERT text for each row count used so far (at most ROWS_PER_INSERT of them). */
  private readonly insertSql = new Map<number, string>();

  private native: NativeConnection | null = null;
  /** An embedded file's connection settings (null over HTTP): applied again when the connections are reopened. */
  private readonly embedded: { busyTimeoutMs: number } | null;

  constructor(db: SqliteDb, client: Client, embedded: { busyTimeoutMs: number } | null = null) {
    super(db);
    this.client = client;
    this.embedded = embedded;
  }

  /** The last client call of an embedded file (they run one at a time, see `run`). */
  private tail: Promise<unknown> = Promise.resolve();

  /**
   * Embedded file: after a failure other than a refused row (CONFLICT), the client's
   * connections are closed and opened again before the error is thrown. The binding never
   * resets a statement that failed: one that failed with SQLITE_BUSY (a batch's `BEGIN
   * IMMEDIATE`, a lone UPDATE or INSERT, while another connection holds the write lock) stays
   * active, and while it is, SQLite does not commit a lone write of that connection when it
   * returns (another write statement is active; yet no transaction is reported open), and
   * rolls it back later: a status change or document answered as stored would be lost (see
   * NativeRecordWriter.discard). Calls run one at a time (each is synchronous in the driver
   * anyway), so no call runs on a connection between its failure and the reconnect.
   */
  protected override run<T>(op: () => PromiseLike<T>): Promise<T> {
    if (!this.embedded) return super.run(op);
    const out = this.tail.then(() => this.attempt(op));
    this.tail = out.then(noop, noop);
    return out;
  }

  private async attempt<T>(op: () => PromiseLike<T>): Promise<T> {
    try {
      return await op();
    } catch (e) {
      const err = storeError(e);
      if (this.embedded && err.code !== 'CONFLICT' && !this.client.closed) {
        try {
          await this.client.reconnect();
          await applyPragmas(this.client, this.embedded.busyTimeoutMs);
        } catch {
          /* the next call fails too, and says why */
        }
      }
      throw err;
    }
  }

  /**
   * Sends `appendRecords` and `getSession` to `native` from now on (the libSQL worker's
   * NativeRecordWriter: a second connection with prepared statements); every other operation
   * stays on the client.
   */
  throughNative(native: NativeConnection): this {
    this.native = native;
    return this;
  }

  override async getSession(sessionId: string): Promise<Session | null> {
    if (this.native) return this.native.getSession(sessionId);
    return super.getSession(sessionId);
  }

  override async appendRecords(records: readonly StoredRecord[], statuses: readonly StatusChange[] = []): Promise<void> {
    if (this.native) return this.native.append(records, statuses);
    // rows go in in the order of byKey
    const sorted = records.length > 1 ? [...records].sort(byKey) : records;
    const stmts: InStatement[] = [];
    for (let i = 0; i < sorted.length; i += ROWS_PER_INSERT) {
      const n = Math.min(ROWS_PER_INSERT, sorted.length - i);
      const args: (string | number)[] = new Array(5 * n);
      for (let j = 0; j < n; j++) putRow(args, j, sorted[i + j] as StoredRecord);
      stmts.push({ sql: this.insertText(n), args });
    }
    for (const s of statuses) stmts.push({ sql: 'UPDATE sessions SET status = ? WHERE session_id = ?', args: [s.status, s.sessionId] });
    if (stmts.length === 0) return;
    await this.run(() => this.client.batch(stmts, 'write'));
  }

  private insertText(rows: number): string {
    let sql = this.insertSql.get(rows);
    if (sql === undefined) {
      sql = `INSERT INTO audit_records (session_id, ale_seq, ale_type, canonical, hash) VALUES ${new Array<string>(rows).fill('(?,?,?,?,?)').join(',')}`;
      this.insertSql.set(rows, sql);
    }
    return sql;
  }
}

const noop = (): void => {};

/** The embedded connection's page cache, KiB. */
export const PAGE_CACHE_KIB = 65_536;

/**
 * Opens the audit store on a libSQL client. For an embedded file the journal is switched to
 * WAL and `synchronous=FULL`, so an acknowledged commit survives a crash or power loss. Its
 * page cache is 64 MiB (SQLite's default is 2 MiB), so that reads of recent records (heads,
 * block closes walking a session's links) find their pages in memory. `busyTimeoutMs` (default
 * 5,000): how long a write of this connection waits for a lock another connection holds before it
 * fails; the worker thread gives it the same value as its NativeRecordWriter, so that every write
 * of the store, not only the group commit's, gives up after the same time.
 */
export async function openLibsqlStore(client: Client, options: { embedded: boolean; busyTimeoutMs?: number }): Promise<LibsqlAuditStore> {
  const busyTimeoutMs = Math.max(0, Math.floor(options.busyTimeoutMs ?? 5000));
  if (options.embedded) await applyPragmas(client, busyTimeoutMs);
  const db = drizzle(client, { schema }) as unknown as SqliteDb;
  await migrate(db);
  return new LibsqlAuditStore(db, client, options.embedded ? { busyTimeoutMs } : null);
}

async function applyPragmas(client: Client, busyTimeoutMs: number): Promise<void> {
  await client.execute('PRAGMA journal_mode=WAL');
  await client.execute('PRAGMA synchronous=FULL');
  await client.execute(`PRAGMA busy_timeout=${busyTimeoutMs}`);
  await client.execute(`PRAGMA cache_size=-${PAGE_CACHE_KIB}`);
}
