/**
 * Start-up failures of the real entry (`src/entry/node.ts`; Bun and Deno share `local.ts`): one
 * line on stderr starting `kee:`, exit code 1, no stack trace, nothing created before the check;
 * and the embedded store's single-writer lock between real kernels.
 */
import { execFile } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { startServer, type RunningServer } from './runtime/servers.ts';
import { freePort } from './support/free-port.ts';
import { agentRead } from './support/harness.ts';

type Run = { code: number | null; stdout: string; stderr: string };

const entries = {
  node: ['node_modules/.bin/tsx', 'src/entry/node.ts'],
  bun: ['node_modules/.bin/bun', 'src/entry/bun.ts'],
  deno: ['node_modules/.bin/deno', 'run', '--allow-net', '--allow-env', '--allow-read', '--allow-write', '--allow-ffi', '--allow-sys', 'src/entry/deno.ts'],
} as const;

/** Runs an entry to its end (a start that fails exits by itself). */
function start(env: Record<string, string>, options: { runtime?: keyof typeof entries; fileModes?: boolean } = {}): Promise<Run> {
  const [entry, ...entryArgs] = entries[options.runtime ?? 'node'];
  // `fileModes` as root (who ignores them): the kernel runs without the capabilities that bypass
  // file modes (as root still, so it reads the checkout wherever it lies, a 0700 temp dir included)
  const [cmd, ...args] = options.fileModes && process.getuid?.() === 0 ? ['setpriv', '--bounding-set', '-dac_override,-dac_read_search', '--', entry, ...entryArgs] : [entry, ...entryArgs];
  return new Promise((resolve) => {
    execFile(
      cmd as string,
      args,
      { env: { ...process.env, NO_COLOR: '1', KEE_AUTH: 'none', ...env }, timeout: 60_000 },
      (err, stdout, stderr) => resolve({ code: err ? ((err as { code?: number }).code ?? null) : 0, stdout, stderr }),
    );
  });
}

/** Exit 1 and exactly one stderr line `kee: …` (no stack trace); returns the line. */
function oneLineFailure(r: Run): string {
  const lines = r.stderr.split('\n').filter((l) => l.trim() !== '');
  expect(r.code, r.stderr).toBe(1);
  expect(lines, r.stderr).toHaveLength(1);
  expect(lines[0]).toMatch(/^kee: /);
  expect(r.stderr).not.toMatch(/^\s+at /m);
  return lines[0] as string;
}

const alive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

const tmp = () => mkdtempSync(join(tmpdir(), 'kee-start-'));

describe('start-up failures: one line, exit 1, nothing created', () => {
  it('PORT=abc', async () => {
    const dataDir = join(tmp(), 'data');
    const line = oneLineFailure(await start({ PORT: 'abc', KEE_DATA_DIR: dataDir }));
    expect(line).toContain('PORT must be a port number');
    expect(line).toContain('`abc`');
    expect(existsSync(dataDir)).toBe(false);
  }, 60_000);

  it('KEE_AUTH=none off loopback, or an unknown KEE_AUTH: refused before the data directory is made', async () => {
    const dataDir = join(tmp(), 'data');
    const off = oneLineFailure(await start({ PORT: '0', KEE_DATA_DIR: dataDir, KEE_HOST: '0.0.0.0', KEE_AUTH: 'none' }));
    expect(off).toBe('kee: KEE_AUTH=none is refused off loopback (KEE_HOST=0.0.0.0): any caller could act as any agent; set KEE_AUTH=agents, or KEE_HOST=127.0.0.1');
    expect(oneLineFailure(await start({ PORT: '0', KEE_DATA_DIR: dataDir, KEE_AUTH: 'mtls' }))).toBe('kee: KEE_AUTH must be `agents` or `none`, got `mtls`');
    expect(existsSync(dataDir)).toBe(false);
  }, 60_000);

  it('a bad signer setting (KEE_SIGNER, KEE_FROST_THRESHOLD): refused before the data directory is made', async () => {
    const dataDir = join(tmp(), 'data');
    expect(oneLineFailure(await start({ PORT: '0', KEE_DATA_DIR: dataDir, KEE_SIGNER: 'hsm' }))).toBe('kee: KEE_SIGNER is `hsm`, want `frost` (default) or `ed25519`');
    expect(oneLineFailure(await start({ PORT: '0', KEE_DATA_DIR: dataDir, KEE_FROST_THRESHOLD: 'two' }))).toBe('kee: KEE_FROST_THRESHOLD must be a whole number, got `two`');
    expect(existsSync(dataDir)).toBe(false);
  }, 60_000);

  it('a port already in use: refused before any key or database is created', async () => {
    const port = await freePort();
    const busy: Server = createServer();
    await new Promise<void>((r) => busy.listen(port, '127.0.0.1', r));
    try {
      const empty = tmp();
      const missing = join(tmp(), 'data');
      for (const dataDir of [empty, missing]) {
        const line = oneLineFailure(await start({ PORT: String(port), KEE_DATA_DIR: dataDir }));
        expect(line).toContain(`port ${port} on 127.0.0.1 is already in use`);
        expect(line).toContain('set PORT');
      }
      // Bun and Deno share the start-up (local.ts); their own listen is never reached
      for (const runtime of ['bun', 'deno'] as const) {
        expect(oneLineFailure(await start({ PORT: String(port), KEE_DATA_DIR: missing }, { runtime })), runtime).toContain(`port ${port} on 127.0.0.1 is already in use`);
      }
      expect(readdirSync(empty)).toEqual([]);
      expect(existsSync(missing)).toBe(false);
    } finally {
      busy.close();
    }
  }, 60_000);

  it('a data directory under a regular file, or that is a file', async () => {
    const file = join(tmp(), 'file');
    writeFileSync(file, 'not a directory');
    const under = oneLineFailure(await start({ PORT: '0', KEE_DATA_DIR: join(file, 'data') }));
    expect(under).toContain(`\`${file}\` is a file, not a directory`);
    const itself = oneLineFailure(await start({ PORT: '0', KEE_DATA_DIR: file }));
    expect(itself).toContain('is a file, not a directory');
    expect(readFileSync(file, 'utf8')).toBe('not a directory');
  }, 60_000);

  it('an unwritable data directory', async () => {
    const parent = tmp();
    const dir = join(parent, 'ro');
    mkdirSync(dir);
    chmodSync(dir, 0o555);
    const existing = oneLineFailure(await start({ PORT: '0', KEE_DATA_DIR: dir, HOME: tmpdir() }, { fileModes: true }));
    expect(existing).toContain(`KEE_DATA_DIR \`${dir}\` is not writable`);
    const below = oneLineFailure(await start({ PORT: '0', KEE_DATA_DIR: join(dir, 'data'), HOME: tmpdir() }, { fileModes: true }));
    expect(below).toContain('cannot be created (EACCES');
    expect(readdirSync(dir)).toEqual([]);
  }, 60_000);

  it('PostgreSQL unreachable: refused before the data directory is made, without the password', async () => {
    const dataDir = join(tmp(), 'data');
    const port = await freePort(); // nothing listens there
    const line = oneLineFailure(await start({ PORT: '0', KEE_DATA_DIR: dataDir, KEE_DATABASE_URL: `postgres://kee:s3cret@127.0.0.1:${port}/kee` }));
    expect(line).toContain(`cannot use PostgreSQL at \`127.0.0.1:${port}/kee\` (KEE_DATABASE_URL): connection refused`);
    expect(line).not.toContain('s3cret');
    expect(existsSync(dataDir)).toBe(false);
  }, 60_000);

  it('a database URL of another kind', async () => {
    const line = oneLineFailure(await start({ PORT: '0', KEE_DATA_DIR: join(tmp(), 'data'), KEE_DATABASE_URL: 'mysql://root:pw@localhost/kee' }));
    expect(line).toContain('is not a database URL Kee can open');
    expect(line).not.toContain('pw@');
  }, 60_000);
});

describe('the embedded store is single-writer', () => {
  const servers: RunningServer[] = [];
  afterAll(async () => {
    for (const s of servers) await s.stop();
  });
  const holder = (dataDir: string) => JSON.parse(readFileSync(join(dataDir, 'kee.pid'), 'utf8')) as { pid: number; runtime: string };

  it('a second kernel on the same data directory refuses, naming the first; a killed holder is taken over', async () => {
    const first = await startServer('node');
    servers.push(first);
    const { pid } = holder(first.dataDir);
    const before = readdirSync(first.dataDir).sort();

    for (const runtime of ['node', 'bun', 'deno'] as const) {
      const line = oneLineFailure(await start({ PORT: '0', KEE_DATA_DIR: first.dataDir }, { runtime }));
      expect(line, runtime).toMatch(new RegExp(`is in use by another kernel \\(pid ${pid} on [^,]+, node, started `));
    }
    // the refused starts created nothing and left the holder in place
    expect(readdirSync(first.dataDir).sort()).toEqual(before);
    expect(holder(first.dataDir).pid).toBe(pid);

    // a holder killed outright leaves its pid file; the OS lock went with it
    process.kill(pid, 'SIGKILL');
    await first.stop();
    const second = await startServer('node', { dataDir: first.dataDir });
    servers.push(second);
    expect(second.output()).toContain(`taking over the lock \`${join(first.dataDir, 'kee.lock')}\` of a kernel that stopped without shutting down (pid ${pid} `);
    expect(holder(first.dataDir).pid).not.toBe(pid);

    // a clean stop (SIGTERM to the kernel itself) removes the pid file: the next start says
    // nothing about a takeover
    const pid2 = holder(first.dataDir).pid;
    process.kill(pid2, 'SIGTERM');
    while (alive(pid2)) await new Promise((r) => setTimeout(r, 100));
    await second.stop();
    expect(existsSync(join(first.dataDir, 'kee.pid'))).toBe(false);
    const third = await startServer('node', { dataDir: first.dataDir });
    servers.push(third);
    expect(third.output()).not.toContain('taking over');
  }, 240_000);
});

describe('KEE_DATABASE_URL=file::memory:', () => {
  const servers: RunningServer[] = [];
  afterAll(async () => {
    for (const s of servers) await s.stop();
  });
  it('runs on one connection (the writer and the reader see one database), says that nothing survives, and records what it decides', async () => {
    const k = await startServer('node', { env: { KEE_DATABASE_URL: 'file::memory:' } });
    servers.push(k);
    expect(k.output()).toContain('kee: WARNING: KEE_DATABASE_URL is an in-memory database: the audit log, sessions and keys stored in it are lost when this process stops');
    const post = (path: string, body: unknown) => fetch(`${k.base}${path}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
    const opened = await post('/v1/sessions', { agent_id: 'agent-1' });
    expect(opened.status).toBe(201);
    const { session_id } = (await opened.json()) as { session_id: string };
    for (let i = 0; i < 2; i++) {
      const decided = await post(`/v1/sessions/${session_id}/authorize`, agentRead('agent-1'));
      expect(decided.status, await decided.clone().text()).toBe(200);
      expect(((await decided.json()) as { decision: string }).decision).toBe('PERMIT');
    }
    // the block is built from what the store holds: the opening, both decisions and the close
    const closed = await post(`/v1/sessions/${session_id}/close`, undefined);
    expect(closed.status, await closed.clone().text()).toBe(200);
    expect(((await closed.json()) as { record_count: number }).record_count).toBe(4);
  }, 120_000);
});
