import type { Client, InStatement } from '@libsql/client';
import { drizzle } from 'drizzle-orm/libsql';
import { migrate } from './migrate.ts';
import { schema } from './schema.ts';
import type { StatusChange, StoredRecord } from '../../ports/storage.ts';
import { ROWS_PER_INSERT, SqliteAuditStore, type SqliteDb } from './store.ts';

/**
 * The libSQL store: drizzle for everything, except the group-commit hot path, which sends
 * pre-built multi-row INSERTs straight to the client in one write transaction (drizzle's
 * builder costs more per row than the insert itself).
 */
export class LibsqlAuditStore extends SqliteAuditStore {
  private readonly client: Client;

  constructor(db: SqliteDb, client: Client) {
    super(db);
    this.client = client;
  }

  override async appendRecords(records: readonly StoredRecord[], statuses: readonly StatusChange[] = []): Promise<void> {
    const stmts: InStatement[] = [];
    for (let i = 0; i < records.length; i += ROWS_PER_INSERT) {
      const chunk = records.slice(i, i + ROWS_PER_INSERT);
      const args: (string | number)[] = [];
      for (const r of chunk) args.push(r.sessionId, r.aleSeq, r.aleType, r.canonical, r.hash);
      stmts.push({
        sql: `INSERT INTO audit_records (session_id, ale_seq, ale_type, canonical, hash) VALUES ${chunk.map(() => '(?,?,?,?,?)').join(',')}`,
        args,
      });
    }
    for (const s of statuses) stmts.push({ sql: 'UPDATE sessions SET status = ? WHERE session_id = ?', args: [s.status, s.sessionId] });
    if (stmts.length === 0) return;
    await this.run(() => this.client.batch(stmts, 'write'));
  }
}

/**
 * Opens the audit store on a libSQL client. For an embedded file the journal is switched to
 * WAL and `synchronous=FULL`, so an acknowledged commit survives a crash or power loss.
 */
export async function openLibsqlStore(client: Client, options: { embedded: boolean }): Promise<LibsqlAuditStore> {
  if (options.embedded) {
    await client.execute('PRAGMA journal_mode=WAL');
    await client.execute('PRAGMA synchronous=FULL');
    await client.execute('PRAGMA busy_timeout=5000');
  }
  const db = drizzle(client, { schema }) as unknown as SqliteDb;
  await migrate(db);
  return new LibsqlAuditStore(db, client);
}
