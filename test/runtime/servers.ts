/** Starts the kernel under a given runtime on a free loopback port, for the black-box suite. */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from '../support/free-port.ts';

/** `workerd-cedar`: the cedar Worker build (`wrangler dev --env cedar`, cedar-wasm selected). */
export type RuntimeName = 'node' | 'bun' | 'deno' | 'workerd' | 'workerd-cedar';

const bin = (name: string) => join('node_modules', '.bin', name);

/**
 * The Worker's variables when a test gives none (a Worker never sees the process environment).
 * Every start gets `KEE_AUTH=none` (on loopback) unless the test sets KEE_AUTH itself.
 */
const DEFAULT_WORKER_VARS: Record<string, string> = { KEE_SIGNING_KEY: '42'.repeat(32) };

/**
 * `inspectorPort`: wrangler dev's devtools port; without one it takes 9229, and two `wrangler dev`
 * started at once (test files run in parallel) fail with "Address already in use".
 */
export function command(runtime: RuntimeName, port: number, dataDir: string, vars: Record<string, string> = DEFAULT_WORKER_VARS, inspectorPort?: number): string[] {
  switch (runtime) {
    case 'node':
      return [bin('tsx'), 'src/entry/node.ts'];
    case 'bun':
      return [bin('bun'), 'src/entry/bun.ts'];
    case 'deno':
      return [bin('deno'), 'run', '--allow-net', '--allow-env', '--allow-read', '--allow-write', '--allow-ffi', '--allow-sys', 'src/entry/deno.ts'];
    case 'workerd':
    case 'workerd-cedar':
      return [
        bin('wrangler'), 'dev', ...(runtime === 'workerd-cedar' ? ['--env', 'cedar'] : []), '--ip', '127.0.0.1', '--port', String(port), '--persist-to', join(dataDir, 'workerd'),
        ...Object.entries({ KEE_AUTH: 'none', ...vars }).flatMap(([k, v]) => ['--var', `${k}:${v}`]), '--show-interactive-dev-session=false', '--log-level', 'warn',
        ...(inspectorPort ? ['--inspector-port', String(inspectorPort)] : []),
      ];
  }
}


/** `kill`: SIGKILL at once (a crash: no graceful shutdown). */
export type RunningServer = { base: string; dataDir: string; stop: () => Promise<void>; kill: () => Promise<void>; output: () => string };

/**
 * `vars`: the Worker's variables on workerd (`--var`), instead of the default kernel key. `port`:
 * listen there (a restart at the same URL, so DPoP proofs made for it still name it), not on a free one.
 */
export async function startServer(runtime: RuntimeName, options: { dataDir?: string; timeoutMs?: number; env?: Record<string, string>; vars?: Record<string, string>; port?: number } = {}): Promise<RunningServer> {
  const port = options.port ?? (await freePort());
  const dataDir = options.dataDir ?? mkdtempSync(join(tmpdir(), `kee-${runtime}-`));
  const inspectorPort = runtime.startsWith('workerd') ? await freePort() : undefined;
  const [cmd, ...args] = command(runtime, port, dataDir, options.vars, inspectorPort);
  const child: ChildProcess = spawn(cmd as string, args, {
    env: { ...process.env, PORT: String(port), KEE_DATA_DIR: dataDir, WRANGLER_SEND_METRICS: 'false', NO_COLOR: '1', KEE_AUTH: 'none', ...options.env },
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: true,
  });
  let out = '';
  child.stdout?.on('data', (d) => (out += String(d)));
  child.stderr?.on('data', (d) => (out += String(d)));
  const base = `http://127.0.0.1:${port}`;
  const stop = async () => {
    if (child.exitCode !== null || child.signalCode !== null || child.pid === undefined) return;
    const exited = new Promise((r) => child.once('exit', r));
    try {
      process.kill(-child.pid, 'SIGTERM');
    } catch {
      /* already gone */
    }
    const t = setTimeout(() => {
      try {
        process.kill(-(child.pid as number), 'SIGKILL');
      } catch {
        /* gone */
      }
    }, 5000);
    await exited;
    clearTimeout(t);
  };
  const kill = async () => {
    if (child.exitCode !== null || child.signalCode !== null || child.pid === undefined) return;
    const exited = new Promise((r) => child.once('exit', r));
    try {
      process.kill(-child.pid, 'SIGKILL');
    } catch {
      /* already gone */
    }
    await exited;
  };
  const deadline = Date.now() + (options.timeoutMs ?? 90_000);
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`${runtime} exited with ${child.exitCode}:\n${out}`);
    try {
      const res = await fetch(`${base}/healthz`);
      if (res.status === 200) return { base, dataDir, stop, kill, output: () => out };
    } catch {
      /* not up yet */
    }
    await new Promise((r) => setTimeout(r, 250));
  }
  await stop();
  throw new Error(`${runtime} did not become healthy in time:\n${out}`);
}
