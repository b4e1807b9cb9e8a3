/**
 * One cold start, shared by bench/footprint and bench/cold-start: spawns a runtime (Node, Bun,
 * Deno, a Worker build under `wrangler dev`, or a built Worker bundle run by workerd through
 * Miniflare's API: `workerd-direct`, bench/cold-start/miniflare-host.ts) with
 * `KEE_STARTUP_TIMINGS=1`, opens a session as soon as it answers, authorizes once, and says how
 * long that took from the spawn and from "up" (the port accepting connections; under workerd the
 * "Ready on" line: wrangler's, or the host's once Miniflare is ready), with the Worker's startup
 * steps. `dataDir`: start over this data directory and keep it (a restart over a store that holds
 * data); without it, a fresh empty one, removed afterwards. `bundle`: for `workerd-direct`, the
 * directory `wrangler deploy --dry-run --outdir` wrote. `cwd`: the checkout to run (`wrangler dev` reads its
 * wrangler.toml and src/); this one by default (bench/cold-start/ab.ts runs another beside it).
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { connect } from 'node:net';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { command, type RuntimeName } from '../../test/runtime/servers.ts';
import { freePort } from '../../test/support/free-port.ts';

const load = () => loadavg()[0]!.toFixed(2);

/**
 * `steps`: under workerd, the isolate's cold path by step (`KEE_STARTUP_TIMINGS=1`), ms.
 * `cpuFromUp`: under workerd, the CPU time (ms, all threads: V8's background compilation too) the
 * workerd processes spent from "up" to the answered `authorize`; less sensitive to the machine's
 * load than the wall time.
 */
export type Cold = { total: number; fromUp: number; cpuFromUp?: number; load: string; steps: Record<string, number> };

/** CPU time (ms) of every `workerd` process in process group `pgid`, all threads (/proc schedstat, Linux). */
function workerdCpuMs(pgid: number): number {
  let ns = 0;
  for (const pid of readdirSync('/proc').filter((d) => /^\d+$/.test(d))) {
    try {
      const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      if (Number(fields[2]) !== pgid || !stat.includes('(workerd)')) continue;
      for (const task of readdirSync(`/proc/${pid}/task`)) ns += Number(readFileSync(`/proc/${pid}/task/${task}/schedstat`, 'utf8').split(' ')[0]);
    } catch {
      /* gone */
    }
  }
  return ns / 1e6;
}

/** The steps of the Worker's `kee: startup: config 1.0 ms, …, total 289.0 ms` line. */
function startupSteps(out: string): Record<string, number> {
  const line = /kee: startup: (.*)/.exec(out)?.[1];
  if (!line) return {};
  return Object.fromEntries(line.split(', ').map((part) => {
    const m = /^(.*) ([\d.]+) ms$/.exec(part.trim());
    return [m?.[1] ?? part, Number(m?.[2])];
  }));
}

/** Whether something accepts TCP connections on the port. */
function listening(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host: '127.0.0.1', port }, () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

async function post(url: string, body: unknown): Promise<Response> {
  return fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
}

/** Spawns the runtime, then opens a session and authorizes as soon as it answers. */
/** What bench/cold-start runs: the test suite's runtimes, and a built Worker bundle under workerd without wrangler. */
export type ColdRuntime = RuntimeName | 'workerd-direct';

const VARS = { KEE_SIGNING_KEY: '42'.repeat(32), KEE_TOKEN_KEY: '43'.repeat(32), KEE_STARTUP_TIMINGS: '1' };

function coldCommand(runtime: ColdRuntime, port: number, dataDir: string, bundle?: string): string[] {
  if (runtime !== 'workerd-direct') {
    const given = command(runtime, port, dataDir, VARS);
    // under wrangler, its "Ready on" line (logged at level info) says the Worker is loaded
    return given.map((a, i) => (a === 'warn' && given[i - 1] === '--log-level' ? 'info' : a));
  }
  if (!bundle) throw new Error('workerd-direct needs a built Worker bundle');
  const host = fileURLToPath(new URL('../cold-start/miniflare-host.ts', import.meta.url));
  return [join('node_modules', '.bin', 'tsx'), host, bundle, String(port), join(dataDir, 'workerd-direct'), JSON.stringify({ KEE_AUTH: 'none', ...VARS })];
}

export async function coldStart(runtime: ColdRuntime, options: { dataDir?: string; bundle?: string; cwd?: string } = {}): Promise<Cold> {
  const port = await freePort();
  const dataDir = options.dataDir ?? mkdtempSync(join(tmpdir(), `kee-footprint-${runtime}-`));
  const [cmd, ...args] = coldCommand(runtime, port, dataDir, options.bundle);
  const wrangler = runtime.startsWith('workerd');
  const loadAtStart = load();
  const t0 = performance.now();
  const child = spawn(cmd as string, args, {
    env: { ...process.env, PORT: String(port), KEE_DATA_DIR: dataDir, WRANGLER_SEND_METRICS: 'false', NO_COLOR: '1', KEE_AUTH: 'none' },
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: true,
    ...(options.cwd ? { cwd: options.cwd } : {}),
  });
  let out = '';
  let ready: number | null = null;
  const onData = (d: Buffer) => {
    out += String(d);
    if (ready === null && /Ready on/.test(out)) ready = performance.now();
  };
  child.stdout.on('data', onData);
  child.stderr.on('data', onData);
  const base = `http://127.0.0.1:${port}`;
  try {
    const deadline = t0 + 120_000;
    while (!(await listening(port))) {
      if (child.exitCode !== null) throw new Error(`${runtime} exited with ${child.exitCode}:\n${out}`);
      if (performance.now() > deadline) throw new Error(`${runtime} did not listen in time:\n${out}`);
      await new Promise((r) => setTimeout(r, 5));
    }
    let tUp = performance.now();
    if (wrangler) {
      while (ready === null) {
        if (child.exitCode !== null) throw new Error(`${runtime} exited with ${child.exitCode}:\n${out}`);
        if (performance.now() > deadline) throw new Error(`${runtime} printed no "Ready on" in time:\n${out}`);
        await new Promise((r) => setTimeout(r, 5));
      }
      tUp = ready;
    }
    const cpuAtUp = wrangler ? workerdCpuMs(child.pid as number) : 0;
    for (;;) {
      if (child.exitCode !== null) throw new Error(`${runtime} exited with ${child.exitCode}:\n${out}`);
      if (performance.now() > deadline) throw new Error(`${runtime} did not answer in time:\n${out}`);
      let opened: Response | null = null;
      try {
        opened = await post(`${base}/v1/sessions`, { agent_id: 'master-ai' });
      } catch {
        /* not listening yet */
      }
      if (opened?.status === 201) {
        const { session_id: sid } = (await opened.json()) as { session_id: string };
        const authz = await post(`${base}/v1/sessions/${sid}/authorize`, {
          principal: { type: 'Agent', id: 'master-ai' },
          action: { type: 'Action', id: 'read' },
          resource: { type: 'Incident', id: 'm7.2' },
          context: {},
        });
        if (authz.status !== 200) throw new Error(`${runtime}: authorize answered ${authz.status}: ${await authz.text()}`);
        const t = performance.now();
        const cpuFromUp = wrangler ? workerdCpuMs(child.pid as number) - cpuAtUp : undefined;
        // the Worker logs its startup line before it answers; give the pipe a moment to deliver it
        if (wrangler) for (let i = 0; i < 200 && !/kee: startup:/.test(out); i++) await new Promise((r) => setTimeout(r, 5));
        return { total: t - t0, fromUp: t - tUp, ...(cpuFromUp === undefined ? {} : { cpuFromUp }), load: loadAtStart, steps: startupSteps(out) };
      }
      if (opened) await opened.body?.cancel();
      await new Promise((r) => setTimeout(r, 5));
    }
  } finally {
    const exited = new Promise((r) => child.once('exit', r));
    try {
      process.kill(-(child.pid as number), 'SIGTERM');
    } catch {
      /* gone */
    }
    await exited;
    if (!options.dataDir) rmSync(dataDir, { recursive: true, force: true });
  }
}

export const STEPS = ['config', 'wasm instantiate', 'D1 migrations', 'policy load', 'kernel start', 'total'];

