/**
 * bench/footprint: the size of every shipped artifact and how fast a fresh process answers.
 * - each `.wasm` module, raw and gzip (level 9);
 * - the default and the cedar Worker bundles, as `wrangler deploy --dry-run` counts them (the
 *   figures Cloudflare's plan limits apply to);
 * - the npm package (`npm pack --dry-run --json`);
 * - the WASM compile + instantiate time of each module in V8 (Node), the engine workerd runs;
 * - cold start: spawn → the first answered `authorize` (`POST /v1/sessions`, then
 *   `POST /v1/sessions/{id}/authorize`) for Node, Bun, Deno and both Worker builds under
 *   `wrangler dev` (workerd), and from "up" to that answer: the port accepting connections (Node,
 *   Bun, Deno), wrangler's "Ready on" line (workerd: the Worker is loaded; its kernel starts on
 *   the isolate's first request).
 * Each row records the 1-minute load average: the machine is shared, so compare rows of one run.
 * Run: `npm run bench:footprint [-- --runs 3]`. Writes bench/footprint/RESULTS.md.
 */
import { execFile, spawn } from 'node:child_process';
import { connect } from 'node:net';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { promisify } from 'node:util';
import { gzipSync } from 'node:zlib';
import { command, type RuntimeName } from '../../test/runtime/servers.ts';
import { freePort } from '../../test/support/free-port.ts';
import { buildWorkerBundle } from './worker-bundle.ts';

const run = promisify(execFile);
const runsArg = process.argv.indexOf('--runs');
const RUNS = runsArg > 0 ? Number(process.argv[runsArg + 1]) : 3;

const kib = (n: number) => (n / 1024).toFixed(1);
const load = () => loadavg()[0]!.toFixed(2);
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

const MODULES = [
  ['wasm/kee_wasm_bg.wasm', 'Node, Bun, Deno'],
  ['wasm/kee_wasm_worker_bg.wasm', 'both Worker builds'],
  ['node_modules/@cedar-policy/cedar-wasm/web/cedar_wasm_bg.wasm', 'cedar Worker build; KEE_POLICY_ENGINE=cedar-wasm elsewhere'],
] as const;

async function wasmRows(): Promise<string[]> {
  const rows: string[] = [];
  for (const [path, where] of MODULES) {
    const bytes = readFileSync(path);
    const compile: number[] = [];
    for (let i = 0; i < RUNS; i++) {
      const t0 = performance.now();
      const module = await WebAssembly.compile(bytes);
      compile.push(performance.now() - t0);
      void module;
    }
    rows.push(`| \`${path.split('/').pop()}\` | ${where} | ${kib(bytes.length)} | ${kib(gzipSync(bytes, { level: 9 }).length)} | ${median(compile).toFixed(1)} | ${load()} |`);
  }
  return rows;
}

async function bundleRows(): Promise<string[]> {
  const rows: string[] = [];
  for (const [env, name] of [[undefined, 'default (`wrangler deploy`)'], ['cedar', 'cedar (`wrangler deploy --env cedar`)']] as const) {
    const b = await buildWorkerBundle(env);
    const js = Object.entries(b.files).filter(([f]) => f.endsWith('.js')).reduce((s, [, n]) => s + n, 0);
    rows.push(`| ${name} | ${b.rawKiB.toFixed(1)} | ${b.gzipKiB.toFixed(1)} | ${kib(js)} | ${Object.keys(b.files).filter((f) => f.endsWith('.wasm')).map((f) => f.replace(/^[0-9a-f]+-/, '')).join(', ')} | ${load()} |`);
  }
  return rows;
}

async function packRow(): Promise<string> {
  const { stdout } = await run('npm', ['pack', '--dry-run', '--json', '--ignore-scripts'], { maxBuffer: 64 * 1024 * 1024 });
  const [p] = JSON.parse(stdout) as { size: number; unpackedSize: number; entryCount: number }[];
  return `| ${kib(p!.size)} | ${kib(p!.unpackedSize)} | ${p!.entryCount} | ${load()} |`;
}

/** `steps`: under workerd, the isolate's cold path by step (`KEE_STARTUP_TIMINGS=1`), ms. */
type Cold = { total: number; fromUp: number; load: string; steps: Record<string, number> };

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
async function coldStart(runtime: RuntimeName): Promise<Cold> {
  const port = await freePort();
  const dataDir = mkdtempSync(join(tmpdir(), `kee-footprint-${runtime}-`));
  const [cmd, ...given] = command(runtime, port, dataDir, { KEE_SIGNING_KEY: '42'.repeat(32), KEE_STARTUP_TIMINGS: '1' });
  // under wrangler, its "Ready on" line (logged at level info) says the Worker is loaded
  const args = given.map((a, i) => (a === 'warn' && given[i - 1] === '--log-level' ? 'info' : a));
  const wrangler = runtime.startsWith('workerd');
  const loadAtStart = load();
  const t0 = performance.now();
  const child = spawn(cmd as string, args, {
    env: { ...process.env, PORT: String(port), KEE_DATA_DIR: dataDir, WRANGLER_SEND_METRICS: 'false', NO_COLOR: '1', KEE_AUTH: 'none' },
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: true,
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
        // the Worker logs its startup line before it answers; give the pipe a moment to deliver it
        if (wrangler) for (let i = 0; i < 200 && !/kee: startup:/.test(out); i++) await new Promise((r) => setTimeout(r, 5));
        return { total: t - t0, fromUp: t - tUp, load: loadAtStart, steps: startupSteps(out) };
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
    rmSync(dataDir, { recursive: true, force: true });
  }
}

const STEPS = ['config', 'wasm instantiate', 'D1 migrations', 'policy load', 'kernel start', 'total'];

async function coldRows(): Promise<{ rows: string[]; split: string[] }> {
  const rows: string[] = [];
  const split: string[] = [];
  const runtimes: [RuntimeName, string][] = [
    ['node', 'Node (`npm start`, tsx)'],
    ['bun', 'Bun'],
    ['deno', 'Deno'],
    ['workerd', 'workerd, default Worker (`wrangler dev`)'],
    ['workerd-cedar', 'workerd, cedar Worker (`wrangler dev --env cedar`)'],
  ];
  for (const [runtime, name] of runtimes) {
    const runs: Cold[] = [];
    for (let i = 0; i < RUNS; i++) runs.push(await coldStart(runtime));
    rows.push(`| ${name} | ${median(runs.map((r) => r.total)).toFixed(0)} | ${median(runs.map((r) => r.fromUp)).toFixed(0)} | ${runs.map((r) => r.load).join(', ')} |`);
    if (runtime.startsWith('workerd')) {
      const cells = STEPS.map((step) => {
        const xs = runs.map((r) => r.steps[step]).filter((x): x is number => typeof x === 'number' && Number.isFinite(x));
        return xs.length === runs.length ? median(xs).toFixed(0) : '?';
      });
      split.push(`| ${name} | ${cells.join(' | ')} | ${runs.map((r) => r.load).join(', ')} |`);
    }
  }
  return { rows, split };
}

const wasm = await wasmRows();
const bundles = await bundleRows();
const pack = await packRow();
const cold = await coldRows();

const md = `# Footprint

\`npm run bench:footprint\` (bench/footprint/run.ts) on ${cpus().length} × ${cpus()[0]?.model ?? 'CPU'}, ${new Date().toISOString().slice(0, 10)};
medians of ${RUNS} runs. **The machine was shared** (other builds and test suites ran at the same time):
the load column is the 1-minute load average when each row was measured; times under load are upper bounds.

## WASM modules

| module | shipped to | raw KiB | gzip KiB | V8 compile ms (Node) | load |
| --- | --- | --- | --- | --- | --- |
${wasm.join('\n')}

## Worker bundles (\`wrangler deploy --dry-run\`)

Cloudflare's free plan accepts 3 MiB (3072 KiB) compressed; test/footprint.test.ts keeps the default at most 1240 KiB gzip (the issue's hard bound: 1536 KiB).

| build | total KiB | gzip KiB | of which JavaScript KiB | WASM modules | load |
| --- | --- | --- | --- | --- | --- |
${bundles.join('\n')}

## npm package (\`npm pack --dry-run\`)

| tarball KiB | unpacked KiB | files | load |
| --- | --- | --- | --- |
${pack}

## Cold start: spawn → first answered \`authorize\`

A fresh process (and, under workerd, a fresh isolate) with an empty data directory, then
\`POST /v1/sessions\` retried every 5 ms until it answers 201, then one \`authorize\`. "Up" is the port
accepting connections for Node, Bun and Deno, which start the kernel before they listen (so "up →" is
two requests), and wrangler's "Ready on" line under workerd: the Worker is loaded, and its kernel
starts on the isolate's first request (WASM instantiation, D1 migrations, the kernel's start), so
there "up →" is the isolate's cold path without wrangler's bundling (which "spawn →" includes).
The WASM compile itself is in the first table.

| runtime | spawn → authorize ms | up → authorize ms | load at each spawn |
| --- | --- | --- | --- |
${cold.rows.join('\n')}

## The Worker's cold path by step (\`KEE_STARTUP_TIMINGS=1\`)

The same runs: the line the Worker logs once its kernel has started on the isolate's first request
(src/entry/startup-timings.ts), medians in ms. "wasm instantiate" is \`kee_wasm_worker_bg.wasm\`
(and cedar-wasm in the cedar build) instantiated from the module workerd compiled when it loaded the
Worker; "policy load" reads the default CAP Profile; "kernel start" verifies the manifest chain, replays
the stored registries, signs the manifest, runs the ACD startup checks and recovers the journal. The rest
of "up →" is the two requests themselves.

| build | config | wasm instantiate | D1 migrations | policy load | kernel start | total | load at each spawn |
| --- | --- | --- | --- | --- | --- | --- | --- |
${cold.split.join('\n')}
`;
writeFileSync(new URL('./RESULTS.md', import.meta.url), md);
console.log(md);
