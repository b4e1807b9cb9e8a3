import type { Client } from '@libsql/client';
import { drizzle } from 'drizzle-orm/libsql';
import { migrate } from './migrate.ts';
import { schema } from './schema.ts';
import { SqliteAuditStore, type SqliteDb } from './store.ts';

/**
 * Opens the audit store on a libSQL client. For an embedded file the journal is switched to
 * WAL and `synchronous=FULL`, so an acknowledged commit survives a crash or power loss.
 */
export async function openLibsqlStore(client: Client, options: { embedded: boolean }): Promise<SqliteAuditStore> {
  if (options.embedded) {
    await client.execute('PRAGMA journal_mode=WAL');
    await client.execute('PRAGMA synchronous=FULL');
    await client.execute('PRAGMA busy_timeout=5000');
  }
  const db = drizzle(client, { schema }) as unknown as SqliteDb;
  await migrate(db);
  return new SqliteAuditStore(db);
}
