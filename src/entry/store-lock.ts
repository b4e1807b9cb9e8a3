/**
 * The embedded store is single-writer: one kernel per database file. Two kernels on one file
 * would each keep their own policy version, chain heads and manifest epoch in memory and write
 * over each other's view of the store.
 *
 * Beside the database file `<name>.db` (by default `$KEE_DATA_DIR/kee.db`):
 *
 * - `<name>.lock`: the lock itself, an SQLite file on which the holder keeps an exclusive
 *   transaction open. The operating system's file lock (fcntl) is what excludes a second
 *   kernel, on Node, Bun and Deno alike; it goes away with the process, even on `kill -9` or a
 *   power cut, so a lock can never be left behind.
 * - `<name>.pid`: who holds it (`{"pid","host","runtime","started_at"}`), written after the
 *   lock is taken, removed on a clean shutdown. A second kernel names this holder when it
 *   refuses to start. Found at start by a kernel that did get the lock, it means the previous
 *   holder stopped without shutting down: that kernel says so and takes over.
 *
 * Deleting `<name>.lock` while a kernel runs defeats the lock (as for any lock file): never do.
 */
import { readFile, rename, rm, writeFile } from 'node:fs/promises';
import { hostname } from 'node:os';
import { basename, dirname, join } from 'node:path';
import process from 'node:process';
import Database from 'libsql';
import { StartupError } from './startup-error.ts';

export type LockHolder = { pid: number; host: string; runtime: string; started_at: string };

export type StoreLock = {
  /** `<name>.lock` */
  path: string;
  /** The holder this kernel found in `<name>.pid` and took over from (it did not shut down), if any. */
  tookOverFrom: LockHolder | null;
  /** Removes `<name>.pid` and releases the lock; idempotent. */
  release(): Promise<void>;
};

/** The lock and holder files of an embedded database file: `kee.db` → `kee.lock`, `kee.pid`. */
export function lockPaths(dbPath: string): { lock: string; pid: string } {
  const stem = join(dirname(dbPath), basename(dbPath).replace(/\.(db|sqlite3?)$/i, ''));
  return { lock: `${stem}.lock`, pid: `${stem}.pid` };
}

/**
 * Takes the lock of the embedded database file `dbPath`, or throws a StartupError naming the
 * kernel that holds it. Never waits: a held lock refuses at once.
 */
export async function acquireStoreLock(dbPath: string, runtime: string): Promise<StoreLock> {
  const paths = lockPaths(dbPath);
  let db: Database.Database;
  try {
    db = new Database(paths.lock, { timeout: 0 });
  } catch (e) {
    throw new StartupError(`cannot open the lock file \`${paths.lock}\`: ${messageOf(e)}`);
  }
  try {
    db.exec('BEGIN EXCLUSIVE');
  } catch (e) {
    db.close();
    if ((e as { code?: string }).code !== 'SQLITE_BUSY') throw new StartupError(`cannot take the lock \`${paths.lock}\`: ${messageOf(e)}`);
    const holder = await readHolder(paths.pid);
    throw new StartupError(
      `the database \`${dbPath}\` is in use by another kernel (${holder ? describeHolder(holder) : `see \`${paths.pid}\``}): stop it first, or give this kernel another KEE_DATA_DIR`,
    );
  }
  const previous = await readHolder(paths.pid);
  const self: LockHolder = { pid: process.pid, host: hostname(), runtime, started_at: new Date().toISOString() };
  // written whole, then renamed over: a reader never sees half a file
  const tmp = `${paths.pid}.${process.pid}.tmp`;
  await writeFile(tmp, `${JSON.stringify(self)}\n`);
  await rename(tmp, paths.pid);
  let released: Promise<void> | undefined;
  return {
    path: paths.lock,
    tookOverFrom: previous && !(previous.pid === self.pid && previous.host === self.host) ? previous : null,
    release: () =>
      (released ??= (async () => {
        await rm(paths.pid, { force: true });
        db.close();
      })()),
  };
}

export function describeHolder(h: LockHolder): string {
  return `pid ${h.pid} on ${h.host}, ${h.runtime}, started ${h.started_at}`;
}

async function readHolder(path: string): Promise<LockHolder | null> {
  try {
    const v = JSON.parse(await readFile(path, 'utf8')) as Partial<LockHolder>;
    if (typeof v.pid !== 'number') return null;
    return { pid: v.pid, host: String(v.host ?? '?'), runtime: String(v.runtime ?? '?'), started_at: String(v.started_at ?? '?') };
  } catch {
    return null;
  }
}

const messageOf = (e: unknown) => (e instanceof Error ? e.message : String(e));
