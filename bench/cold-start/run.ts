/**
 * bench/cold-start: how fast a fresh process (a fresh isolate under workerd) answers its first
 * `authorize`, per runtime, in two cases:
 * - **empty store**: a new data directory each time (a first deploy);
 * - **restart**: one data directory started once unmeasured, then started again N times (what a
 *   Worker's new isolate meets: D1 already holds the schema, the manifest chain and the
 *   registries; with the same kernel and token keys each start reuses the latest epoch).
 * Under workerd the Worker's own line (`KEE_STARTUP_TIMINGS=1`) splits its cold path into steps;
 * their medians and shares of the total are tabled. Each start records the 1-minute load average.
 * Run: `npm run bench:cold-start [-- --runs 5] [-- --only workerd,workerd-direct]`. Writes the measured part of
 * bench/cold-start/RESULTS.md (between its `<!-- measured -->` markers; the hand-written sections are kept).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { coldStart, STEPS, type Cold, type ColdRuntime } from '../footprint/cold-start.ts';
import { writeMeasured } from '../results-file.ts';
import { bundleWorker } from './bundle.ts';

const arg = (name: string) => {
  const i = process.argv.indexOf(name);
  return i > 0 ? process.argv[i + 1] : undefined;
};
const RUNS = Number(arg('--runs') ?? 5);
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

const ALL: [ColdRuntime, string][] = [
  ['node', 'Node (`npm start`, tsx)'],
  ['bun', 'Bun'],
  ['deno', 'Deno'],
  ['workerd', 'workerd, default Worker'],
  ['workerd-cedar', 'workerd, cedar Worker'],
  ['workerd-direct', 'workerd direct (Miniflare), default Worker'],
];
const only = arg('--only')?.split(',');
const runtimes = ALL.filter(([r]) => !only || only.includes(r));

// the default Worker bundled once, as `wrangler deploy` would upload it, for the rows without wrangler
const bundle = runtimes.some(([r]) => r === 'workerd-direct') ? await bundleWorker() : null;

type Series = { name: string; runtime: ColdRuntime; store: string; runs: Cold[] };
const series: Series[] = [];
try {
  for (const [runtime, name] of runtimes) {
    const opts = bundle ? { bundle: bundle.dir } : {};
    const empty: Cold[] = [];
    for (let i = 0; i < RUNS; i++) empty.push(await coldStart(runtime, opts));
    series.push({ name, runtime, store: 'empty', runs: empty });
    const dataDir = mkdtempSync(join(tmpdir(), `kee-cold-${runtime}-`));
    try {
      await coldStart(runtime, { ...opts, dataDir });
      const restart: Cold[] = [];
      for (let i = 0; i < RUNS; i++) restart.push(await coldStart(runtime, { ...opts, dataDir }));
      series.push({ name, runtime, store: 'restart', runs: restart });
    } finally {
      rmSync(dataDir, { recursive: true, force: true });
    }
    console.log(`${name}: done (load ${loadavg()[0]!.toFixed(2)})`);
  }
} finally {
  bundle?.remove();
}

const loads = (s: Series) => s.runs.map((r) => r.load).join(', ');
const cpu = (s: Series) => (s.runs.every((r) => r.cpuFromUp !== undefined) ? median(s.runs.map((r) => r.cpuFromUp as number)).toFixed(0) : '');
const rows = series.map((s) => `| ${s.name} | ${s.store} | ${median(s.runs.map((r) => r.total)).toFixed(0)} | ${median(s.runs.map((r) => r.fromUp)).toFixed(0)} | ${cpu(s)} | ${loads(s)} |`);
const split = series
  .filter((s) => s.runtime.startsWith('workerd'))
  .map((s) => {
    const total = median(s.runs.map((r) => r.steps.total ?? NaN));
    const cells = STEPS.map((step) => {
      const xs = s.runs.map((r) => r.steps[step]).filter((x): x is number => typeof x === 'number' && Number.isFinite(x));
      if (xs.length !== s.runs.length) return '?';
      const m = median(xs);
      return step === 'total' ? m.toFixed(0) : `${m.toFixed(0)} (${Math.round((100 * m) / total)} %)`;
    });
    return `| ${s.name} | ${s.store} | ${cells.join(' | ')} | ${loads(s)} |`;
  });

const md = `\`npm run bench:cold-start\` (bench/cold-start/run.ts) on ${cpus().length} × ${cpus()[0]?.model ?? 'CPU'}, ${new Date().toISOString().slice(0, 10)};
medians of ${RUNS} starts per row. The load column is the 1-minute load average at each start
(nothing else should run beside the benchmark: under load every time here grows, and only the rows
of one run compare with each other).

"Empty": a new data directory each start. "Restart": one data directory, started once unmeasured,
then ${RUNS} more times (a Worker's new isolate meets a D1 database that already holds the schema,
the manifest chain and the registries; every start has the same \`KEE_SIGNING_KEY\` and
\`KEE_TOKEN_KEY\`, so it reuses the latest manifest epoch instead of adding one: docs/manifest.md).

## Spawn → first answered \`authorize\`

\`POST /v1/sessions\` retried every 5 ms from the spawn until it answers 201, then one
\`authorize\`. "Up" is the port accepting connections for Node, Bun and Deno (they start the kernel
before they listen, so "up →" is the two requests), and wrangler's "Ready on" line under workerd
(\`wrangler dev\`): the Worker is loaded and compiled, and its kernel starts on the isolate's first
request, so there "up →" is the isolate's cold path, without wrangler's own bundling and start
(in "spawn →"), which a deployed Worker does not pay. What the isolate prepares at global scope
(the WASM instantiated, the built-in profile loaded and warmed, the first JCS and Ed25519 calls:
\`src/entry/worker-app.ts\`) runs when workerd loads the Worker, before "Ready on", so it is in
"spawn →", not in "up →"; on Cloudflare it runs while the TLS handshake that woke the isolate does.
"Up → CPU": under workerd, the CPU time the workerd processes spent from "up" to the answer (all
threads, V8's background compilation included; /proc schedstat), which the machine's load
inflates less than the wall time.

"workerd direct (Miniflare)": the same default Worker, bundled once as \`wrangler deploy\` would
upload it (\`--dry-run --outdir\`), run by workerd through Miniflare's API
(bench/cold-start/miniflare-host.ts) over Miniflare's local D1 (the one \`wrangler dev\` uses), with
no wrangler proxy in front: requests go to workerd's own socket. Its "up" is Miniflare's \`ready\`
(workerd has loaded the Worker, compiled its WASM, run its global scope, and listens); its
"spawn →" is tsx and Miniflare starting workerd, without bundling.

| runtime | store | spawn → authorize ms | up → authorize ms | up → authorize CPU ms | load at each start |
| --- | --- | --- | --- | --- | --- |
${rows.join('\n')}

## The Worker's cold path by step (\`KEE_STARTUP_TIMINGS=1\`), ms and share of the total

"wasm instantiate": the compiled module(s) instantiated (done at global scope: ~0); "D1
migrations": the bookkeeping read (and, on an empty store, the migrations); "policy load": the
signer and token key set up, and the default CAP Profile's engine (loaded and warmed at global
scope when the configuration selects the build's engine);
"kernel start": the stored state replayed (manifest chain verified, registries), the initial
policy set's warm-up (first-use compilation of the evaluator), the manifest signed and stored, the
ACD startup checks (the recovery of an earlier isolate's leftovers runs after it, beside the first
request).

| build | store | ${STEPS.join(' | ')} | load at each start |
| --- | --- | ${STEPS.map(() => '---').join(' | ')} | --- |
${split.join('\n')}
`;
console.log(writeMeasured(fileURLToPath(new URL('./RESULTS.md', import.meta.url)), 'Cold start', md, 'npm run bench:cold-start'));
