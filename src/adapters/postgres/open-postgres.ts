import { drizzle } from 'drizzle-orm/node-postgres';
import { Pool } from 'pg';
import { migrate } from './migrate.ts';
import { schema } from './schema.ts';
import { PostgresAuditStore, toDomainError } from './store.ts';

export type PostgresStore = {
  store: PostgresAuditStore;
  /** The connection pool (for health checks and tests); owned by this object. */
  pool: Pool;
  /**
   * The pool of the replay claims (`PostgresReplayStore`): at most 4 connections, opened at the
   * first claim, whose commits do not wait for their WAL flush (`synchronous_commit=off`): the
   * claim is visible to every other kernel at once, and the call's own record, committed with a
   * flush before the answer, flushes the WAL past it (docs/identity.md "Replay caches").
   */
  claims: Pool;
  /** Ends the pools; idempotent. */
  close(): Promise<void>;
};

export type PostgresOptions = {
  /** Maximum connections in the pool (default 10). */
  max?: number;
  /** How long to wait for a connection before the store reports GAR_UNAVAILABLE (default 10 s). */
  connectionTimeoutMillis?: number;
};

/**
 * Opens the audit store on a `postgres://` or `postgresql://` URL through a `pg` pool, and applies
 * the migrations (idempotent, safe when kernels start together). Every connection asks for
 * `synchronous_commit=on` (the default, restated so a server-wide `off` cannot weaken it): an
 * acknowledged commit is flushed to the WAL. Rejects with GAR_UNAVAILABLE if the server cannot be
 * reached or migrated.
 */
export async function openPostgresStore(url: string, options: PostgresOptions = {}): Promise<PostgresStore> {
  const pool = new Pool({
    connectionString: url,
    max: options.max ?? 10,
    connectionTimeoutMillis: options.connectionTimeoutMillis ?? 10_000,
    options: '-c synchronous_commit=on',
  });
  // An idle connection that the server drops is removed by the pool; without a listener the
  // event would crash the kernel; the next query reconnects or fails as GAR_UNAVAILABLE.
  pool.on('error', () => {});
  const claims = new Pool({ connectionString: url, max: 4, connectionTimeoutMillis: options.connectionTimeoutMillis ?? 10_000, options: '-c synchronous_commit=off' });
  claims.on('error', () => {});
  let ended: Promise<void> | undefined;
  const close = () => (ended ??= Promise.all([pool.end(), claims.end()]).then(() => {}));
  const db = drizzle({ client: pool, schema });
  try {
    await migrate(db);
  } catch (e) {
    await close().catch(() => {});
    throw toDomainError(e);
  }
  return { store: new PostgresAuditStore(db), pool, claims, close };
}
