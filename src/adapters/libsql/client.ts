import { createClient, type Client } from '@libsql/client';

/** How long a write waits for a lock another connection holds, unless configured (ms). */
export const DEFAULT_BUSY_TIMEOUT_MS = 5000;

/** A whole, non-negative busy timeout (ms); the default if none is given. */
export const busyTimeout = (ms: number | undefined): number => Math.max(0, Math.floor(ms ?? DEFAULT_BUSY_TIMEOUT_MS));

/** True for an embedded database (a `file:` URL, the file opened in this process). */
export const isEmbeddedUrl = (url: string): boolean => url.startsWith('file:');

/**
 * The one way Kee makes a libSQL client (test/arch.test.ts holds every other file to it).
 *
 * For an embedded file the client has one connection (`concurrency: 1`). `@libsql/client` keeps
 * a pool of connections for a `file:` URL (up to 20 by default) and opens another whenever a call
 * arrives while the others are busy; a PRAGMA reaches only the connection that ran it, so a
 * connection the pool opened later would lack the store's settings (`pragmas.ts`). With one,
 * concurrent calls wait for it, and the only new connection is the one `reconnect` opens, which
 * the store configures again (`LibsqlAuditStore`). `timeout` gives every connection the client
 * opens its busy timeout from the start. `openLibsqlStore` refuses an embedded client whose
 * connections do not all run with the settings.
 *
 * For a libSQL server (`libsql:`, `http(s):`, `ws(s):`) the client is the driver's default: the
 * server owns its connections and their durability (docs/runtimes.md).
 */
export function createLibsqlClient(url: string, options: { authToken?: string; busyTimeoutMs?: number } = {}): Client {
  const auth = options.authToken ? { authToken: options.authToken } : {};
  if (isEmbeddedUrl(url)) return createClient({ url, ...auth, concurrency: 1, timeout: busyTimeout(options.busyTimeoutMs) });
  return createClient({ url, ...auth });
}
