/**
 * bench/policy: per-decision latency of Cedar policy evaluation at 10 / 100 / 1,000 / 10,000
 * policies on three paths: `@cedar-policy/cedar-wasm` `statefulIsAuthorized` (policies
 * pre-parsed, every policy evaluated), the Rust `kee-policy` engine in WASM (one
 * `evaluate(requestJson)` call per decision; only the policies whose scope can match are
 * evaluated) and the same Rust natively (`kee-native-bench policy`); the two kee-policy paths
 * both with the entities sent with each request and with them stored once in the engine
 * (`setEntities`, then `evaluateStored` with requests that carry no entities). Prints the tables
 * with the speed-ups and writes bench/policy/RESULTS.md.
 * Run: `npx tsx bench/policy/run.ts [--sizes 10,100] [--ms 1500] [--native-bin PATH]`.
 *
 * The workload is deterministic (seeded): agents in teams, incidents in regions, 50 actions;
 * policies name one agent or team, one or two actions and a region or incident, with `when` /
 * `unless` conditions over context and attributes (ip, `has`), and 1 in 4 is a forbid. Each
 * request carries its entities (the agent with its teams, the incident with its region), so
 * a request matches only a few policies. The store holds every agent and incident.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { writeMeasured } from '../results-file.ts';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import * as cedar from '@cedar-policy/cedar-wasm/web';
import { initKeeWasm } from '../../src/adapters/wasm/load.ts';

const arg = (name: string) => {
  const i = process.argv.indexOf(name);
  return i > 0 ? process.argv[i + 1] : undefined;
};
const SIZES = (arg('--sizes') ?? '10,100,1000,10000').split(',').map(Number);
const BUDGET_MS = Number(arg('--ms') ?? 1500);
const REQUESTS = 1000;
const ACTIONS = 50;

/** mulberry32: a small seeded PRNG, so every run measures the same workload. */
function rng(seed: number) {
  let a = seed >>> 0;
  const next = () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  return { next, int: (n: number) => Math.floor(next() * n) };
}

type Uid = { type: string; id: string };
type Workload = {
  policies: Record<string, string>;
  requests: string[];
  calls: Record<string, unknown>[];
  /** Every agent and incident of the workload (with their teams and regions), for the stores. */
  entities: unknown[];
  /** The same requests without their entities, for the stored-entities path. */
  bare: Record<string, unknown>[];
};

function workload(n: number): Workload {
  const r = rng(n * 7919 + 1);
  const agents = Math.max(10, n >> 2);
  const teams = Math.max(3, Math.floor(n / 20));
  const regions = 20;
  const incidents = Math.max(10, n >> 2);
  const agent = (i: number): Uid => ({ type: 'Agent', id: `a${i}` });
  const team = (i: number) => `Team::"t${i}"`;
  const action = () => `Action::"act${r.int(ACTIONS)}"`;
  const region = (i: number) => `Region::"reg${i}"`;
  const teamOf = (a: number) => [a % teams, (a * 7 + 3) % teams];
  const regionOf = (k: number) => k % regions;
  const policies: Record<string, string> = {};
  for (let i = 0; i < n; i++) {
    const kind = r.next();
    let text: string;
    if (kind < 0.4) text = `permit (principal == Agent::"a${r.int(agents)}", action == ${action()}, resource in ${region(r.int(regions))}) when { context.hour >= 8 && context.hour < 20 };`;
    else if (kind < 0.65) text = `permit (principal in ${team(r.int(teams))}, action in [${action()}, ${action()}], resource is Incident) when { resource has severity && resource.severity <= 3 };`;
    else if (kind < 0.85) text = `forbid (principal == Agent::"a${r.int(agents)}", action == ${action()}, resource) unless { context.mfa == true };`;
    else if (kind < 0.95) text = `permit (principal is Agent, action == ${action()}, resource == Incident::"r${r.int(incidents)}") when { context.src.isInRange(ip("10.0.0.0/8")) };`;
    else text = `forbid (principal, action == ${action()}, resource in ${region(r.int(regions))}) when { context has emergency && context.emergency };`;
    policies[`p${i}`] = `@id("p${i}")\n${text}`;
  }
  // Each incident has one severity for the whole workload, so that a store can hold it.
  const severity = Array.from({ length: incidents }, (_, k) => 1 + ((k * 2654435761) % 5));
  const agentEntity = (a: number) => ({ uid: agent(a), attrs: {}, parents: teamOf(a).map((t) => ({ type: 'Team', id: `t${t}` })) });
  const incidentEntity = (k: number) => ({ uid: { type: 'Incident', id: `r${k}` }, attrs: { severity: severity[k] }, parents: [{ type: 'Region', id: `reg${regionOf(k)}` }] });
  const calls: Record<string, unknown>[] = [];
  const bare: Record<string, unknown>[] = [];
  for (let j = 0; j < REQUESTS; j++) {
    const a = r.int(agents);
    const k = r.int(incidents);
    const entities = [agentEntity(a), incidentEntity(k)];
    const context = { hour: r.int(24), mfa: r.next() < 0.7, src: { __extn: { fn: 'ip', arg: r.next() < 0.5 ? '10.1.2.3' : '192.168.0.7' } } };
    const request = { principal: agent(a), action: { type: 'Action', id: `act${r.int(ACTIONS)}` }, resource: { type: 'Incident', id: `r${k}` }, context };
    bare.push(request);
    calls.push({ ...request, entities });
  }
  const entities = [...Array.from({ length: agents }, (_, a) => agentEntity(a)), ...Array.from({ length: incidents }, (_, k) => incidentEntity(k))];
  return { policies, requests: calls.map((c) => JSON.stringify(c)), calls, entities, bare };
}

/** Mean milliseconds per call of `f(i)`, run for about BUDGET_MS after a short warm-up. */
function time(f: (i: number) => unknown): number {
  const t0 = performance.now();
  let i = 0;
  while (i < 20 || (performance.now() - t0 < 200 && i < 2000)) f(i++);
  const per = (performance.now() - t0) / i;
  const k = Math.max(20, Math.min(200_000, Math.round(BUDGET_MS / per)));
  const t1 = performance.now();
  for (let j = 0; j < k; j++) f(j);
  return (performance.now() - t1) / k;
}

cedar.initSync({ module: readFileSync(new URL('../../node_modules/@cedar-policy/cedar-wasm/web/cedar_wasm_bg.wasm', import.meta.url)) });
const kee = initKeeWasm(readFileSync(new URL('../../wasm/kee_wasm_bg.wasm', import.meta.url)));
type CedarAnswer = { type: 'success'; response: { decision: string } } | { type: 'failure'; errors: { message: string }[] };
const c = cedar as unknown as {
  preparsePolicySet(id: string, p: { staticPolicies: Record<string, string> }): { type: string };
  statefulIsAuthorized(call: Record<string, unknown>): CedarAnswer;
};

/** `--native-bin PATH` uses an already built binary (for example from another CARGO_TARGET_DIR). */
function nativeBin(): string {
  const given = arg('--native-bin');
  if (given) return given;
  const dir = 'target';
  const bin = `crates/${dir}/release/kee-native-bench`;
  if (!existsSync(bin) || process.argv.includes('--rebuild')) {
    console.error('building kee-native-bench (release) ...');
    execFileSync('/usr/bin/cargo', ['build', '--locked', '--release', '-p', 'kee-native-bench'], { cwd: 'crates', stdio: 'inherit', env: { ...process.env, RUSTC: '/usr/bin/rustc', CARGO_TARGET_DIR: dir } });
  }
  return bin;
}

type Row = {
  n: number;
  cedarUs: number;
  wasmUs: number;
  nativeUs: number;
  wasmStoredUs: number;
  nativeStoredUs: number;
  loadMs: number;
  nativeLoadMs: number;
  storeMs: number;
  nativeStoreMs: number;
  entities: number;
  allowRate: number;
};
const rows: Row[] = [];
const loadBefore = loadavg()[0]!;
const bin = nativeBin();
for (const n of SIZES) {
  const w = workload(n);
  // cedar-wasm: pre-parse once, then one statefulIsAuthorized per decision.
  const setId = `bench-${n}`;
  const pre = c.preparsePolicySet(setId, { staticPolicies: w.policies });
  if (pre.type !== 'success') throw new Error(`cedar-wasm refused the set: ${JSON.stringify(pre)}`);
  const cedarCall = w.calls.map((call) => ({ ...call, preparsedPolicySetId: setId }));
  let cedarAllow = 0;
  for (const call of cedarCall) {
    const a = c.statefulIsAuthorized(call);
    if (a.type !== 'success') throw new Error(JSON.stringify(a));
    if (a.response.decision === 'allow') cedarAllow++;
  }
  const cedarUs = 1000 * time((i) => c.statefulIsAuthorized(cedarCall[i % REQUESTS]!));

  // kee-policy in WASM: the request goes in as JSON text (JSON.stringify is timed too).
  const t0 = performance.now();
  const loaded = kee.loadPolicySet(JSON.stringify({ policies: Object.values(w.policies).join('\n') }));
  const loadMs = performance.now() - t0;
  if (loaded.type !== 'success') throw new Error(loaded.error.message);
  const set = loaded.value;
  let keeAllow = 0;
  for (const req of w.requests) {
    const a = set.evaluate(req);
    if (a.type !== 'success') throw new Error(a.error.message);
    if (a.value.allow) keeAllow++;
  }
  if (keeAllow !== cedarAllow) throw new Error(`n=${n}: kee-policy allows ${keeAllow}, cedar-wasm ${cedarAllow}`);
  const wasmUs = 1000 * time((i) => set.evaluate(JSON.stringify(w.calls[i % REQUESTS])));

  // kee-policy in WASM with the entities stored once: requests carry no entities.
  const t1 = performance.now();
  const stored = set.setEntities(JSON.stringify(w.entities));
  const storeMs = performance.now() - t1;
  if (stored.type !== 'success') throw new Error(stored.error.message);
  let storedAllow = 0;
  for (const req of w.bare) {
    const a = set.evaluateStored(JSON.stringify(req));
    if (a.type !== 'success') throw new Error(a.error.message);
    if (a.value.allow) storedAllow++;
  }
  if (storedAllow !== cedarAllow) throw new Error(`n=${n}: kee-policy with stored entities allows ${storedAllow}, cedar-wasm ${cedarAllow}`);
  const wasmStoredUs = 1000 * time((i) => set.evaluateStored(JSON.stringify(w.bare[i % REQUESTS])));
  set.free();

  // Native: the same set and requests, through a file.
  const file = join(tmpdir(), `kee-policy-bench-${n}.json`);
  writeFileSync(file, JSON.stringify({ source: { policies: Object.values(w.policies).join('\n') }, requests: w.requests, entities: w.entities, stored_requests: w.bare.map((b) => JSON.stringify(b)) }));
  const iters = Math.max(1000, Math.min(2_000_000, Math.round((BUDGET_MS * 1000) / Math.max(wasmUs / 2, 0.5))));
  type NativeOut = { us_per_decision: number; load_ms: number; allow: number; us_per_decision_stored: number; store_ms: number; allow_stored: number; entities: number };
  const out = JSON.parse(execFileSync(bin, ['policy', '--input', file, '--iters', String(iters)], { encoding: 'utf8' })) as NativeOut;
  if (out.allow !== cedarAllow) throw new Error(`n=${n}: native allows ${out.allow}, cedar-wasm ${cedarAllow}`);
  if (out.allow_stored !== cedarAllow) throw new Error(`n=${n}: native with stored entities allows ${out.allow_stored}, cedar-wasm ${cedarAllow}`);
  rows.push({
    n,
    cedarUs,
    wasmUs,
    nativeUs: out.us_per_decision,
    wasmStoredUs,
    nativeStoredUs: out.us_per_decision_stored,
    loadMs,
    nativeLoadMs: out.load_ms,
    storeMs,
    nativeStoreMs: out.store_ms,
    entities: out.entities,
    allowRate: cedarAllow / REQUESTS,
  });
  console.error(
    `n=${n}: cedar-wasm ${cedarUs.toFixed(1)} us, kee wasm ${wasmUs.toFixed(2)} us (stored entities ${wasmStoredUs.toFixed(2)} us), native ${out.us_per_decision.toFixed(2)} us (stored ${out.us_per_decision_stored.toFixed(2)} us)`,
  );
}

const f = (x: number) => (x >= 100 ? x.toFixed(0) : x >= 10 ? x.toFixed(1) : x.toFixed(2));
const header = '| policies | cedar-wasm µs | kee-policy WASM µs | kee-policy native µs | speed-up WASM vs cedar-wasm | WASM / native | load WASM ms | load native ms | allow rate |';
const table = [
  header,
  '|---:|---:|---:|---:|---:|---:|---:|---:|---:|',
  ...rows.map((r) => `| ${r.n} | ${f(r.cedarUs)} | ${f(r.wasmUs)} | ${f(r.nativeUs)} | ${f(r.cedarUs / r.wasmUs)}× | ${(r.wasmUs / r.nativeUs).toFixed(2)} | ${f(r.loadMs)} | ${f(r.nativeLoadMs)} | ${(100 * r.allowRate).toFixed(0)}% |`),
].join('\n');
const storedTable = [
  '| policies | stored entities | cedar-wasm µs (entities per request) | kee-policy WASM µs | kee-policy native µs | speed-up WASM vs cedar-wasm | WASM / native | store WASM ms | store native ms |',
  '|---:|---:|---:|---:|---:|---:|---:|---:|---:|',
  ...rows.map(
    (r) =>
      `| ${r.n} | ${r.entities} | ${f(r.cedarUs)} | ${f(r.wasmStoredUs)} | ${f(r.nativeStoredUs)} | ${f(r.cedarUs / r.wasmStoredUs)}× | ${(r.wasmStoredUs / r.nativeStoredUs).toFixed(2)} | ${f(r.storeMs)} | ${f(r.nativeStoreMs)} |`,
  ),
].join('\n');
console.log(`${table}\n\n${storedTable}`);

const at = (n: number) => rows.find((r) => r.n === n);
const ratio = (r: Row | undefined, us: (r: Row) => number) => (r ? `${f(r.cedarUs / us(r))}×` : 'not measured');
const within = (pick: (r: Row) => number) => rows.map((r) => (pick(r) <= 2 ? 1 : 0)).reduce((a: number, b: number) => a + b, 0);
const aims = [
  `* ≥ 10× faster than cedar-wasm at 100 policies: ${ratio(at(100), (r) => r.wasmUs)} with the entities sent with each request, ${ratio(at(100), (r) => r.wasmStoredUs)} with them stored.`,
  `* ≥ 100× at 1,000 policies: ${ratio(at(1000), (r) => r.wasmUs)} with the entities sent with each request, ${ratio(at(1000), (r) => r.wasmStoredUs)} with them stored.`,
  `* WASM within 2× of native: ${within((r) => r.wasmUs / r.nativeUs)} of ${rows.length} sizes with the entities sent with each request (${rows.map((r) => (r.wasmUs / r.nativeUs).toFixed(2)).join(', ')}), ` +
    `${within((r) => r.wasmStoredUs / r.nativeStoredUs)} of ${rows.length} with them stored (${rows.map((r) => (r.wasmStoredUs / r.nativeStoredUs).toFixed(2)).join(', ')}).`,
].join('\n');
const cpu = cpus()[0]?.model ?? 'unknown cpu';
const body = `Per-decision latency (mean over ≥ ${BUDGET_MS} ms of decisions cycling through ${REQUESTS} seeded requests), on
${cpus().length} × ${cpu}, Node ${process.version}, 1-minute load average ${loadBefore.toFixed(1)} at the start and
${loadavg()[0]!.toFixed(1)} at the end (the machine is shared: compare ratios within one run). Generated by \`npx tsx bench/policy/run.ts\`.

* **cedar-wasm**: \`@cedar-policy/cedar-wasm\` 4.13.0 \`statefulIsAuthorized\`, policies pre-parsed once
  with \`preparsePolicySet\`; every policy is evaluated for every request.
* **kee-policy WASM**: \`kee_wasm\` \`loadPolicySet\` once, then \`handle.evaluate(JSON.stringify(request))\`
  (the stringify is inside the timing); only the policies whose scope can match are evaluated.
* **kee-policy WASM, stored entities**: \`handle.setEntities(JSON.stringify(entities))\` once, then
  \`handle.evaluateStored(JSON.stringify(request))\` with requests that carry no entities.
* **kee-policy native**: the same Rust (\`kee-native-bench policy\`, release), from the same request texts
  (\`LoadedSet::evaluate_json\`; \`load_entities_json\` and \`evaluate_stored_json\` for the store).

Every path decides the same requests; the script checks that all of them allow the same number.

## Entities sent with every request

${table}

## Entities stored in WASM once (\`setEntities\`), requests without entities (\`evaluateStored\`)

The store holds every agent (with its two teams) and every incident (with its region and severity) of
the workload; each request carries only principal, action, resource and context. cedar-wasm has no
entity store: its column is the same as above (the request's two entities sent with it), the least
it can be given.

${storedTable}

Workload: agents in teams, incidents in regions, ${ACTIONS} actions; 40% \`permit (principal == Agent, action ==, resource in Region) when {..}\`,
25% \`permit (principal in Team, action in [..], resource is Incident) when { resource has severity && .. }\`,
20% \`forbid (principal == Agent, action ==, resource) unless { context.mfa == true }\`,
10% \`permit (principal is Agent, action ==, resource == Incident) when { context.src.isInRange(ip(..)) }\`,
5% \`forbid (principal, action ==, resource in Region) when { context has emergency && .. }\`.
Each request carries two entities (the agent with two teams, the incident with its region and severity), or none
with the store.

## Against the aims of issue 5

${aims}`;
writeMeasured(new URL('./RESULTS.md', import.meta.url).pathname, 'bench/policy results', body, 'npm run bench:policy');

