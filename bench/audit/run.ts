/**
 * bench/audit: durable audit appends on the embedded libSQL default (WAL, synchronous=FULL),
 * at 1, 64 and 1,024 concurrent writers, one commit per record versus group commit. Each
 * writer appends to its own session through the kernel's write path (JCS + SHA-256 chain in
 * WASM, OTel span per write); an append counts when its transaction is durable.
 * Also: whole decisions (`kernel.authorize`: Cedar + audit record) at the same concurrency.
 *
 * Two load models. Closed loop: each writer waits for its append before the next (throughput
 * at saturation; latency then grows with the number of writers, Little's law). Open loop:
 * appends arrive as a Poisson process at an offered rate spread over the 1,024 writers'
 * sessions (the seed benchmark's load model); latency counts from the arrival time.
 * Two stores: `in-thread` (the libSQL client on the event loop: SQLite work and fsync block it)
 * and `worker` (WorkerAuditStore: the connection lives in a worker thread, the event loop only
 * sends batches and awaits the commit replies; the `npm start` default).
 * Last: `kee audit verify` of a 1M-record NDJSON package (a child process, wall time).
 * Run: `npm run bench:audit [-- --seconds 5] [--only <substring of the row name>] [--no-write]
 *   [--engine kee-policy|cedar-wasm]` (the authorize rows' policy engine; default kee-policy, as `npm start`).
 * Writes bench/audit/RESULTS.md (not with --only or --no-write).
 */
import '../../src/entry/node-v8-flags.ts';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import type { SpanExporter } from '@opentelemetry/sdk-trace';
import { createLibsqlClient } from '../../src/adapters/libsql/client.ts';
import { openLibsqlStore } from '../../src/adapters/libsql/open-libsql.ts';
import { openWorkerLibsqlStore } from '../../src/entry/open-worker-store.ts';
import type { AuditStore } from '../../src/ports/storage.ts';
import { writeBigPackage } from '../../test/support/big-package.ts';
import { Ed25519Signer, ed25519Verifier } from '../../src/adapters/noble/ed25519.ts';
import { credentialDeps } from '../../src/adapters/jose/credential-deps.ts';
import { createGovernanceTracing } from '../../src/adapters/otel/telemetry.ts';
import { systemClock } from '../../src/adapters/system/clock.ts';
import { AuditLog } from '../../src/kernel/audit/audit-log.ts';
import { KERNEL_VERSION, WASM_MODULE_SHA256 } from '../../src/entry/build-info.ts';
import { Kernel } from '../../src/kernel/kernel.ts';
import { KernelState } from '../../src/kernel/state/kernel-state.ts';
import type { CedarApi } from '../../src/adapters/cedar/cedar-api.ts';
import { WasmMerkle } from '../../src/adapters/wasm/merkle.ts';
import { policyEngineFactory, policyEngineName } from '../../src/entry/policy-engine.ts';
import { DEFAULT_CAP_PROFILE } from '../../src/adapters/cedar/default-profile.ts';
import { loadCedar } from '../../test/support/cedar.ts';
import { loadKeeWasm } from '../../test/support/wasm.ts';
import { uuidXpidDeriver } from '../../src/adapters/uuid/xpid.ts';

const secArg = process.argv.indexOf('--seconds');
const SECONDS = secArg > 0 ? Number(process.argv[secArg + 1]) : 5;
const onlyArg = process.argv.indexOf('--only');
const ONLY = onlyArg > 0 ? process.argv[onlyArg + 1] : undefined;
const WRITE = ONLY === undefined && !process.argv.includes('--no-write');
const VERIFY_RECORDS = 1_000_000;
/**
 * Run, not counted, before each row's measured seconds: JIT compilation, the young generation
 * growing to its working size, the database file's first growth. In the first second of a run
 * these stall the event loop for 50-200 ms at a time, which is start-up, not the steady state
 * the latency columns describe.
 */
const WARMUP_MS = 2_000;
const flag = (name: string, dflt: number) => {
  const i = process.argv.indexOf(name);
  return i > 0 ? Number(process.argv[i + 1]) : dflt;
};
/** The worker store's tuning, as `npm start` uses it (see src/entry/local.ts). */
const EAGER = flag('--eager', 256);
const IN_FLIGHT = flag('--in-flight', 2);
const engineArg = process.argv.indexOf('--engine');
/** The policy engine of the authorize rows: the default of `npm start` unless `--engine cedar-wasm`. */
const ENGINE = policyEngineName(engineArg > 0 ? process.argv[engineArg + 1] : undefined);

/**
 * CPU seconds used so far by the main thread and by all other threads of this process (the
 * libSQL worker, GC helpers, libuv), from /proc (Linux; zeros elsewhere). Load from other
 * processes on the machine stretches wall time, not these.
 */
function threadCpu(): { main: number; others: number } {
  const out = { main: 0, others: 0 };
  try {
    for (const tid of readdirSync('/proc/self/task')) {
      const stat = readFileSync(`/proc/self/task/${tid}/stat`, 'utf8');
      const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      const secs = (Number(f[11]) + Number(f[12])) / 100; // utime + stime, in USER_HZ ticks
      if (tid === String(process.pid)) out.main += secs;
      else out.others += secs;
    }
  } catch {
    /* not Linux */
  }
  return out;
}

/** Spans are produced (P6) and dropped: the bench measures the kernel, not an exporter. */
const dropExporter: SpanExporter = { export: (_s, cb) => cb({ code: 0 }), shutdown: async () => undefined };

type StoreKind = 'in-thread' | 'worker';
type Mode = 'single-row commit' | 'group commit' | 'authorize (group commit)';
type Row = { mode: string; store: StoreKind; writers: number; offered?: number; perSec: number; p50: number; p99: number; max: number; cpuMain: number; cpuOthers: number };

/** A request's digest: data that arrives with it, not made by the kernel (a fresh fields object per append is). */
const SUBJECT_DIGEST = 'ab'.repeat(32);

const pct = (xs: number[], p: number) => xs[Math.min(xs.length - 1, Math.floor((p / 100) * xs.length))] ?? NaN;

async function openStore(kind: StoreKind, file: string): Promise<{ store: AuditStore; close: () => Promise<void> }> {
  if (kind === 'worker') return openWorkerLibsqlStore(`file:${file}`);
  const client = createLibsqlClient(`file:${file}`);
  return { store: await openLibsqlStore(client, { embedded: true }), close: async () => client.close() };
}

async function run(mode: Mode, kind: StoreKind, writers: number, offered?: number): Promise<Row> {
  const dir = mkdtempSync(join(tmpdir(), 'kee-bench-audit-'));
  const { store, close } = await openStore(kind, join(dir, 'kee.db'));
  const keeWasm = loadKeeWasm();
  const merkle = new WasmMerkle(keeWasm);
  const { telemetry } = createGovernanceTracing({ exporters: [{ exporter: dropExporter, batch: true }] });
  const maxBatch = mode === 'single-row commit' ? 1 : 2000;
  const tuning = kind === 'worker' ? { maxInFlight: IN_FLIGHT, eagerBatch: EAGER } : {};
  const signer = new Ed25519Signer(Ed25519Signer.generateSeed());
  // the engine `npm start` uses (KEE_POLICY_ENGINE unset: kee-policy), or --engine cedar-wasm
  const policyFactory = policyEngineFactory(ENGINE, { wasm: keeWasm, cedar: () => loadCedar() as unknown as CedarApi, merkle });
  const policy = policyFactory.load(DEFAULT_CAP_PROFILE);
  const kernel = new Kernel({ store, merkle, signer, verifier: ed25519Verifier, ...credentialDeps(), policy, policyFactory, clock: systemClock, telemetry, runtime: 'node', manifest: { kernelVersion: KERNEL_VERSION, wasmModules: WASM_MODULE_SHA256 }, options: { maxBatch, ...tuning, auth: 'none' } });
  await kernel.start();
  const log = new AuditLog({ store, merkle, clock: systemClock, telemetry, state: new KernelState(), kernelId: kernel.kernelId, maxBatch, ...tuning });
  const sessions: { session_id: string; block_id: string }[] = [];
  for (let i = 0; i < writers; i++) sessions.push(await kernel.openSession(`agent-${i}`));

  const latencies: number[] = [];
  let stop = false;
  let count = 0;
  const request = { principal: { type: 'Agent', id: 'a' }, action: { type: 'Action', id: 'read' }, resource: { type: 'Dataset', id: 'd' }, context: {} };
  const t0 = performance.now();
  // the first WARMUP_MS are run but not counted
  const tw = t0 + WARMUP_MS;
  let cpu0 = threadCpu();
  const warm = setTimeout(() => (cpu0 = threadCpu()), WARMUP_MS);
  const one = (s: (typeof sessions)[number]) =>
    mode === 'authorize (group commit)'
      ? kernel.authorize(s.session_id, request)
      : log.append(s, 'CEDAR_PERMIT', { decision: 'PERMIT', policy_ids: ['kee-default-read'], subject_digest: SUBJECT_DIGEST });
  if (offered) {
    // open loop: Poisson arrivals at `offered`/s, issued on time whatever is outstanding
    // outstanding calls are counted, not kept: a generator that holds every promise until the
    // end makes each of them survive V8's young generation (scavenges the kernel did not cause)
    let outstanding = 0;
    let drained: (() => void) | null = null;
    const settle = () => {
      if (--outstanding === 0 && drained) drained();
    };
    let next = t0;
    let k = 0;
    while (next - tw < SECONDS * 1000) {
      const now = performance.now();
      while (next <= now) {
        const at = next;
        const s = sessions[k++ % sessions.length]!;
        outstanding++;
        one(s).then(() => {
          if (at >= tw) {
            latencies.push(performance.now() - at);
            count++;
          }
          settle();
        }, settle);
        next += (-Math.log(1 - Math.random()) / offered) * 1000;
      }
      await new Promise((r) => setTimeout(r, 0));
    }
    if (outstanding > 0) await new Promise<void>((r) => (drained = r));
  } else await Promise.all(
    sessions.map(async (s) => {
      while (!stop) {
        const t = performance.now();
        await one(s);
        if (t >= tw) {
          latencies.push(performance.now() - t);
          count++;
        }
        if (performance.now() - tw > SECONDS * 1000) stop = true;
      }
    }),
  );
  const elapsed = (performance.now() - tw) / 1000;
  const cpu1 = threadCpu();
  clearTimeout(warm);
  await close();
  rmSync(dir, { recursive: true, force: true });
  latencies.sort((a, b) => a - b);
  return { mode, store: kind, writers, ...(offered ? { offered } : {}), perSec: count / elapsed, p50: pct(latencies, 50), p99: pct(latencies, 99), max: latencies[latencies.length - 1] ?? NaN, cpuMain: (1e6 * (cpu1.main - cpu0.main)) / count, cpuOthers: (1e6 * (cpu1.others - cpu0.others)) / count };
}

/** `kee audit verify` of a 1M-record NDJSON package, as a user runs it: a fresh process, wall time. */
/** CPU seconds (user + system) of waited-for child processes, from /proc (Linux; 0 elsewhere). */
function childCpu(): number {
  try {
    const stat = readFileSync('/proc/self/stat', 'utf8');
    const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(f[13]) + Number(f[14])) / 100; // cutime + cstime
  } catch {
    return 0;
  }
}

async function verifyMillion(extra: string[]): Promise<{ bytes: number; seconds: number; cpu: number }> {
  const dir = mkdtempSync(join(tmpdir(), 'kee-bench-verify-'));
  const file = join(dir, 'package.ndjson');
  await writeBigPackage(file, VERIFY_RECORDS);
  const cpuBefore = childCpu();
  const t0 = performance.now();
  // throws unless the verifier exits 0
  execFileSync(process.execPath, ['--import', 'tsx', 'src/entry/cli.ts', 'audit', 'verify', file, ...extra], { stdio: ['ignore', 'ignore', 'inherit'] });
  const seconds = (performance.now() - t0) / 1000;
  const cpu = childCpu() - cpuBefore;
  const bytes = statSync(file).size;
  rmSync(dir, { recursive: true, force: true });
  return { bytes, seconds, cpu };
}

/** The V8/Node flags this run was started with (`npm run bench:audit` passes those of `npm start`). */
const nodeFlags = () => process.execArgv.filter((a) => a.startsWith('--') && a !== '--require' && a !== '--import' && !a.includes('/')).join(' ');

const rows: Row[] = [];
const name = (r: { mode: string; store: StoreKind; writers: number; offered?: number }) =>
  `${r.mode} ${r.store} ${r.writers}${r.offered ? ` @${r.offered}/s` : ''}`;
const plan: { mode: Mode; store: StoreKind; writers: number; offered?: number }[] = [];
for (const writers of [1, 64, 1024]) plan.push({ mode: 'single-row commit', store: 'in-thread', writers });
for (const store of ['in-thread', 'worker'] as const) {
  for (const writers of [1, 64, 1024]) plan.push({ mode: 'group commit', store, writers });
  for (const offered of [5_000, 10_000, 20_000, 30_000]) plan.push({ mode: 'group commit', store, writers: 1024, offered });
}
for (const store of ['in-thread', 'worker'] as const) {
  for (const writers of [64, 1024]) plan.push({ mode: 'authorize (group commit)', store, writers });
  plan.push({ mode: 'authorize (group commit)', store, writers: 1024, offered: 2_000 });
  if (store === 'worker') plan.push({ mode: 'authorize (group commit)', store, writers: 1024, offered: 5_000 });
}
for (const p of plan) {
  if (ONLY !== undefined && !name(p).includes(ONLY)) continue;
  const r = await run(p.mode, p.store, p.writers, p.offered);
  rows.push(r);
  console.error(`${name(r)}: ${Math.round(r.perSec)}/s p50 ${r.p50.toFixed(2)} ms p99 ${r.p99.toFixed(2)} ms; CPU µs/append main ${r.cpuMain.toFixed(0)} others ${r.cpuOthers.toFixed(0)} (load ${loadavg()[0]?.toFixed(2)})`);
}
const table = [
  '| mode | store | writers | load | durable appends/s | p50 ms | p99 ms | max ms | CPU µs/append, main thread | CPU µs/append, other threads |',
  '| --- | --- | ---: | --- | ---: | ---: | ---: | ---: | ---: | ---: |',
  ...rows.map(
    (r) =>
      `| ${r.mode} | ${r.store} | ${r.writers} | ${r.offered ? `open loop, ${r.offered.toLocaleString('en')}/s offered` : 'closed loop'} | ${Math.round(r.perSec).toLocaleString('en')} | ${r.p50.toFixed(2)} | ${r.p99.toFixed(2)} | ${r.max.toFixed(1)} | ${r.cpuMain.toFixed(0)} | ${r.cpuOthers.toFixed(0)} |`,
  ),
].join('\n');
console.log(table);

const verifyRows: { how: string; bytes: number; seconds: number; cpu: number }[] = [];
for (const [how, extra] of [['parallel (default)', []], ['one thread (--threads 1)', ['--threads', '1']]] as const) {
  if (ONLY !== undefined && !`verify ${how}`.includes(ONLY)) continue;
  const v = await verifyMillion([...extra]);
  verifyRows.push({ how, ...v });
  console.error(`verify 1M ${how}: ${v.seconds.toFixed(1)} s, CPU ${v.cpu.toFixed(1)} s (${(v.bytes / 1e6).toFixed(0)} MB; load ${loadavg()[0]?.toFixed(2)})`);
}
const verifyTable = [
  '| `kee audit verify`, 1,000,000-record NDJSON package | file size | wall time, s | CPU time (all threads), s |',
  '| --- | ---: | ---: | ---: |',
  ...verifyRows.map((v) => `| ${v.how} | ${(v.bytes / 1e6).toFixed(0)} MB | ${v.seconds.toFixed(1)} | ${v.cpu.toFixed(1)} |`),
].join('\n');
console.log(verifyTable);

if (WRITE) {
  const file = 'bench/audit/RESULTS.md';
  const [l1, l5] = loadavg();
  const measured = [
    '<!-- measured: written by `npm run bench:audit`; the text outside these markers is kept -->',
    `Machine: ${cpus().length} × ${cpus()[0]?.model ?? 'cpu'}, Node ${process.version} (${nodeFlags() || 'no flags'}); embedded libSQL file, WAL, synchronous=FULL; authorize rows on the ${ENGINE} policy engine; ${SECONDS} s per row after ${WARMUP_MS} ms of warm-up; load average at the end ${l1?.toFixed(2)} (1 min), ${l5?.toFixed(2)} (5 min), measured ${new Date().toISOString().slice(0, 16)}Z.`,
    '',
    table,
    '',
    verifyTable,
    '<!-- /measured -->',
  ].join('\n');
  let old = '';
  try {
    old = readFileSync(file, 'utf8');
  } catch {
    /* first run */
  }
  const at = old.indexOf('<!-- measured');
  const end = old.indexOf('<!-- /measured -->');
  const text = at >= 0 && end > at ? old.slice(0, at) + measured + old.slice(end + '<!-- /measured -->'.length) : `# bench/audit results\n\n${measured}\n`;
  writeFileSync(file, text);
}
