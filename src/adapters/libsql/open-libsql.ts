import type { Client, InStatement } from '@libsql/client';
import { drizzle } from 'drizzle-orm/libsql';
import { migrate } from './migrate.ts';
import { schema } from './schema.ts';
import type { Session } from '../../kernel/types.ts';
import type { StatusChange, StoredRecord } from '../../ports/storage.ts';
import { byKey, putRow } from './batch-rows.ts';
import { ROWS_PER_INSERT, SqliteAuditStore, storeError, type SqliteDb } from './store.ts';
import { busyTimeout } from './client.ts';
import { READ_BACK, settingsFrom, settingsProblem, settingStatements } from './pragmas.ts';

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
  /** An embedded file's connection settings (null over HTTP): applied again when the connection is reopened. */
  private readonly embedded: { busyTimeoutMs: number } | null;
  /**
   * The client's connection runs with the settings (`pragmas.ts`). False from a reconnect until
   * they are applied and read back: a call then reconnects first, and fails if it cannot, rather
   * than run on a connection without them.
   */
  private configured = true;

  constructor(db: SqliteDb, client: Client, embedded: { busyTimeoutMs: number } | null = null) {
    super(db);
    this.client = client;
    this.embedded = embedded;
  }

  /** The last client call of an embedded file (they run one at a time, see `run`). */
  private tail: Promise<unknown> = Promise.resolve();

  /**
   * Embedded file: after a failure other than a refused row (CONFLICT), the client's
   * connection is closed and opened again, with its settings, before the error is thrown. The
   * binding never resets a statement that failed: one that failed with SQLITE_BUSY (a batch's
   * `BEGIN IMMEDIATE`, a lone UPDATE or INSERT, while another connection holds the write lock)
   * stays active, and while it is, SQLite does not commit a lone write of that connection when
   * it returns (another write statement is active; yet no transaction is reported open), and
   * rolls it back later: a status change or document answered as stored would be lost (see
   * NativeRecordWriter.discard). After a CONFLICT the settings are read back (the pool drops a
   * connection it cannot roll back and would open a new one). Calls run one at a time (each is
   * synchronous in the driver anyway), so no call runs on a connection between its failure and
   * the reconnect, and the client never needs a second connection.
   */
  protected override run<T>(op: () => PromiseLike<T>): Promise<T> {
    if (!this.embedded) return super.run(op);
    const out = this.tail.then(() => this.attempt(op));
    this.tail = out.then(noop, noop);
    return out;
  }

  private async attempt<T>(op: () => PromiseLike<T>): Promise<T> {
    // (a closed client stays closed: the call fails)
    if (!this.configured && !this.client.closed) {
      try {
        await this.reopen();
      } catch (e) {
        throw storeError(e);
      }
    }
    try {
      return await op();
    } catch (e) {
      const err = storeError(e);
      if (this.embedded && !this.client.closed) {
        try {
          // a settings read that fails counts as settings lost
          const lost = err.code !== 'CONFLICT' || (await settingsProblemOf(this.client, this.embedded.busyTimeoutMs).catch(String)) !== null;
          if (lost) await this.reopen();
        } catch {
          /* `configured` stays false: the next call reconnects first, or fails and says why */
        }
      }
      throw err;
    }
  }

  /** Closes the client's connection, opens a new one and gives it the settings. */
  private async reopen(): Promise<void> {
    if (!this.embedded) return;
    this.configured = false;
    await this.client.reconnect();
    await configure(this.client, this.embedded.busyTimeoutMs);
    this.configured = true;
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

/**
 * Opens the audit store on a libSQL client. For an embedded file the client must be one made by
 * `createLibsqlClient` (one connection); its connection is given the settings of `pragmas.ts`:
 * WAL and `synchronous=FULL`, so an acknowledged commit survives a crash or power loss, a 64 MiB
 * page cache, and `busyTimeoutMs` (default 5,000): how long a write of this connection waits for
 * a lock another connection holds before it fails; the worker thread gives it the same value as
 * its NativeRecordWriter, so that every write of the store, not only the group commit's, gives
 * up after the same time. Throws if a connection the client hands out lacks them (a client with
 * a pool of connections). Over HTTP nothing is set: the server owns durability.
 */
export async function openLibsqlStore(client: Client, options: { embedded: boolean; busyTimeoutMs?: number }): Promise<LibsqlAuditStore> {
  const busyTimeoutMs = busyTimeout(options.busyTimeoutMs);
  if (options.embedded) {
    await configure(client, busyTimeoutMs);
    // two readers at once: a client that may open a second connection does so here, and that
    // connection reports SQLite's defaults
    const problems = await Promise.all([0, 1].map(() => settingsProblemOf(client, busyTimeoutMs)));
    const problem = problems.find((p) => p !== null);
    if (problem) throw new Error(`the embedded libSQL client hands out a connection without the store's settings (${problem}): make it with createLibsqlClient, one connection`);
  }
  const db = drizzle(client, { schema }) as unknown as SqliteDb;
  await migrate(db);
  return new LibsqlAuditStore(db, client, options.embedded ? { busyTimeoutMs } : null);
}

/** Gives the client's connection the settings, and reads them back: throws if it does not report them. */
async function configure(client: Client, busyTimeoutMs: number): Promise<void> {
  for (const sql of settingStatements(busyTimeoutMs)) await client.execute(sql);
  const problem = await settingsProblemOf(client, busyTimeoutMs);
  if (problem) throw new Error(`the embedded libSQL connection does not take the store's settings: ${problem}`);
}

/** Why the connection a client call gets lacks the settings, or null (read in one batch: one connection). */
async function settingsProblemOf(client: Client, busyTimeoutMs: number): Promise<string | null> {
  const results = await client.batch([...READ_BACK], 'deferred');
  return settingsProblem(settingsFrom(results.map((r) => r.rows[0]?.[0])), busyTimeoutMs);
}
