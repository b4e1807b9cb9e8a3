/**
 * The settings every connection that writes an embedded libSQL file runs with, and the check
 * that a connection has them. A PRAGMA reaches only the connection that ran it, so each writing
 * connection (the `@libsql/client` connection of `open-libsql.ts`, the NativeRecordWriter's)
 * sets them when it is opened and reads them back; a connection that does not report them is
 * not used.
 *
 * - `journal_mode=WAL` (kept in the file);
 * - `synchronous=FULL`: a commit returns once the WAL is fsynced, so nothing answered is lost on
 *   a crash or power loss. libSQL's SQLite already defaults to FULL, but the promise does not rest
 *   on a build default;
 * - `busy_timeout`: how long a write waits for a lock another connection holds;
 * - `cache_size`: a 64 MiB page cache (SQLite's default is 2 MiB), so that reads of recent
 *   records (heads, block closes walking a session's links) find their pages in memory.
 */

/** The embedded connection's page cache, KiB. */
export const PAGE_CACHE_KIB = 65_536;

/** SQLite's `synchronous` level FULL, as `PRAGMA synchronous` reports it. */
export const SYNCHRONOUS_FULL = 2;

/** The statements that give a new connection the settings, in order. */
export function settingStatements(busyTimeoutMs: number): string[] {
  return ['PRAGMA journal_mode=WAL', 'PRAGMA synchronous=FULL', `PRAGMA busy_timeout=${busyTimeoutMs}`, `PRAGMA cache_size=-${PAGE_CACHE_KIB}`];
}

/** The statements that read the settings back, each answering one row with one column. */
export const READ_BACK = ['PRAGMA journal_mode', 'PRAGMA synchronous', 'PRAGMA busy_timeout', 'PRAGMA cache_size'] as const;

/** What a connection reports for READ_BACK, in its order. */
export type ConnectionSettings = { journalMode: string; synchronous: number; busyTimeoutMs: number; cacheSize: number };

/** The settings from READ_BACK's answers (the first column of each first row). */
export function settingsFrom(values: readonly unknown[]): ConnectionSettings {
  return { journalMode: String(values[0]), synchronous: Number(values[1]), busyTimeoutMs: Number(values[2]), cacheSize: Number(values[3]) };
}

/**
 * Why a connection's settings are not the promised ones, or null if they are. An in-memory
 * database (journal mode `memory`, no file to make durable) passes.
 */
export function settingsProblem(s: ConnectionSettings, busyTimeoutMs: number): string | null {
  if (s.journalMode !== 'wal' && s.journalMode !== 'memory') return `journal_mode is ${s.journalMode}, not wal`;
  if (s.synchronous !== SYNCHRONOUS_FULL) return `synchronous is ${s.synchronous}, not ${SYNCHRONOUS_FULL} (FULL)`;
  if (s.busyTimeoutMs !== busyTimeoutMs) return `busy_timeout is ${s.busyTimeoutMs}, not ${busyTimeoutMs}`;
  if (s.cacheSize !== -PAGE_CACHE_KIB) return `cache_size is ${s.cacheSize}, not -${PAGE_CACHE_KIB}`;
  return null;
}
