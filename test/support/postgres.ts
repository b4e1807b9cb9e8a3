/**
 * A real PostgreSQL server for the test run, from Debian's `postgresql` package: `initdb` into a
 * fresh temporary directory (trust auth), `pg_ctl start` on a free port listening only on
 * 127.0.0.1 with its unix socket inside that directory, and `stop()` removes it all again.
 *
 * PostgreSQL refuses to run as root, so as root (here and in CI) the binaries run as the
 * `postgres` system user that the Debian package creates, via `runuser`.
 */
import { execFileSync } from 'node:child_process';
import { chownSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import process from 'node:process';
import { Client } from 'pg';
import { afterAll, beforeAll } from 'vitest';
import { openPostgresStore, type PostgresOptions, type PostgresStore } from '../../src/adapters/postgres/open-postgres.ts';
import { freePort } from './free-port.ts';

export type PostgresServer = {
  /** URL of database `db` on the server, as the `postgres` superuser. */
  url(db?: string): string;
  /** Creates a fresh, empty database and returns its URL. */
  createDatabase(): Promise<string>;
  /** Stops the server and removes its directory. */
  stop(): Promise<void>;
};

const PG_ROOT = '/usr/lib/postgresql';

/** The `bin` directory of the newest installed PostgreSQL server, or a clear failure. */
export function findPostgresBin(): string {
  const versions = existsSync(PG_ROOT)
    ? readdirSync(PG_ROOT)
        .filter((v) => existsSync(join(PG_ROOT, v, 'bin', 'initdb')) && existsSync(join(PG_ROOT, v, 'bin', 'pg_ctl')))
        .sort((a, b) => Number.parseFloat(b) - Number.parseFloat(a))
    : [];
  const v = versions[0];
  if (v === undefined) {
    throw new Error(
      `postgresql server binaries not found (${PG_ROOT}/*/bin/initdb): install the Debian \`postgresql\` package (apt-get install -y postgresql)`,
    );
  }
  return join(PG_ROOT, v, 'bin');
}


export async function startPostgres(): Promise<PostgresServer> {
  const bin = findPostgresBin();
  const asRoot = process.getuid?.() === 0;
  const run = (tool: string, args: string[], cwd: string) => {
    const [cmd, argv] = asRoot ? ['runuser', ['-u', 'postgres', '--', join(bin, tool), ...args]] : [join(bin, tool), args];
    return execFileSync(cmd as string, argv as string[], { cwd, stdio: 'pipe', encoding: 'utf8', timeout: 120_000 });
  };

  const dir = mkdtempSync(join(tmpdir(), 'kee-pg-'));
  if (asRoot) {
    let uid: number;
    let gid: number;
    try {
      uid = Number(execFileSync('id', ['-u', 'postgres'], { encoding: 'utf8' }).trim());
      gid = Number(execFileSync('id', ['-g', 'postgres'], { encoding: 'utf8' }).trim());
    } catch (e) {
      rmSync(dir, { recursive: true, force: true });
      throw new Error('running as root but there is no `postgres` system user: install the Debian `postgresql` package', { cause: e });
    }
    chownSync(dir, uid, gid);
  }
  const data = join(dir, 'data');
  const log = join(dir, 'server.log');
  const remove = () => rmSync(dir, { recursive: true, force: true });
  let running = false;
  const stopSync = () => {
    if (running) {
      running = false;
      try {
        // immediate: no shutdown checkpoint (seconds of fsync), the directory is deleted anyway
        run('pg_ctl', ['-D', data, '-m', 'immediate', '-w', 'stop'], dir);
      } catch {
        // already gone
      }
    }
    remove();
  };
  // a test process that dies without afterAll must not leave a server behind
  process.once('exit', stopSync);

  let port = 0;
  try {
    run('initdb', ['-D', data, '-U', 'postgres', '--auth=trust', '--encoding=UTF8', '--locale=C', '--no-sync'], dir);
    for (let attempt = 1; !running; attempt++) {
      port = await freePort();
      // a short deadlock_timeout keeps the tests that provoke deadlocks quick
      const opts = `-p ${port} -c listen_addresses=127.0.0.1 -c unix_socket_directories=${dir} -c deadlock_timeout=100ms`;
      try {
        run('pg_ctl', ['-D', data, '-l', log, '-w', '-t', '60', '-o', opts, 'start'], dir);
        running = true;
      } catch (e) {
        if (attempt >= 3) throw e; // the free port may have been taken meanwhile
      }
    }
  } catch (e) {
    const serverLog = existsSync(log) ? readFileSync(log, 'utf8') : '';
    const out = (e as { stderr?: string; stdout?: string }).stderr ?? '';
    stopSync();
    process.removeListener('exit', stopSync);
    throw new Error(`could not start postgresql from ${bin}: ${out}\n${serverLog}`, { cause: e });
  }

  const url = (db = 'postgres') => `postgresql://postgres@127.0.0.1:${port}/${db}`;
  const admin = new Client({ connectionString: url() });
  await admin.connect();
  let n = 0;
  return {
    url,
    async createDatabase() {
      const name = `kee_test_${n++}`;
      await admin.query(`CREATE DATABASE ${name}`);
      return url(name);
    },
    async stop() {
      await admin.end().catch(() => {});
      stopSync();
      process.removeListener('exit', stopSync);
    },
  };
}

/**
 * One throwaway server for a test file: started before its tests, stopped after them with every
 * store `open` opened closed first. Never skipped: if the server cannot start, every call fails
 * with the reason (e.g. "install the Debian `postgresql` package").
 */
export function usePostgres(): { server: () => PostgresServer; database: () => Promise<string>; open: (url: string, options?: PostgresOptions) => Promise<PostgresStore> } {
  let server: PostgresServer | undefined;
  let startError: unknown;
  const opened: PostgresStore[] = [];
  beforeAll(async () => {
    server = await startPostgres().catch((e: unknown) => {
      startError = e;
      return undefined;
    });
  }, 120_000);
  afterAll(async () => {
    await Promise.all(opened.map((s) => s.close().catch(() => {})));
    await server?.stop();
  });
  const running = (): PostgresServer => {
    if (!server) throw startError ?? new Error('the postgresql test server did not start');
    return server;
  };
  return {
    server: running,
    database: () => running().createDatabase(),
    open: async (url, options) => {
      const s = await openPostgresStore(url, options);
      opened.push(s);
      return s;
    },
  };
}
