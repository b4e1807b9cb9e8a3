/**
 * bench/policy warm-up (issue 13): the first decision after a policy set with a schema is
 * activated, with the engine cold (no warm-up: the first decision pays the lazy compilation of
 * the engine's code) and warmed (`PolicyEngine.warm`, run by the kernel before the swap and at
 * start). Cold is per process, so every run is a fresh Node process: it starts a kernel
 * (in-memory store, the built-in profile), decides one request on it, then activates K sets with
 * schemas one after another (entity-typed, set, record and extension attributes; typed
 * entities in the requests) and times the engine's evaluation of the first and the second
 * decision after each activation (what the 100 ms budget of `kee-policy` measures, plus the
 * request's serialization). Runs of the four configurations are interleaved, so a busy
 * neighbour weighs on all of them alike.
 * Run: `npx tsx bench/policy/warm-up.ts [--runs 20] [--activations 5]`. Replaces its section of
 * bench/policy/RESULTS.md (appends it the first time). Reported, never asserted.
 */
import '../../src/entry/node-v8-flags.ts';
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { fileURLToPath } from 'node:url';
import type { SpanExporter } from '@opentelemetry/sdk-trace';
import { cedarPolicyEngineFactory } from '../../src/adapters/cedar/factory.ts';
import { DEFAULT_CAP_PROFILE } from '../../src/adapters/cedar/default-profile.ts';
import { keePolicyEngineFactory } from '../../src/adapters/kee-policy/factory.ts';
import { MemoryStore } from '../../src/adapters/memory/store.ts';
import { credentialDeps } from '../../src/adapters/jose/credential-deps.ts';
import { Ed25519Signer, ed25519Verifier } from '../../src/adapters/noble/ed25519.ts';
import { createGovernanceTracing } from '../../src/adapters/otel/telemetry.ts';
import { systemClock } from '../../src/adapters/system/clock.ts';
import { KERNEL_VERSION, WASM_MODULE_SHA256 } from '../../src/entry/build-info.ts';
import { Kernel } from '../../src/kernel/kernel.ts';
import type { PolicyCandidate } from '../../src/kernel/policy/activation.ts';
import type { AuthorizationRequest } from '../../src/kernel/types.ts';
import type { PolicyEngine, PolicyEngineFactory } from '../../src/ports/policy.ts';
import { loadCedar } from '../../test/support/cedar.ts';
import { loadKeeWasm, wasmMerkle } from '../../test/support/wasm.ts';

const arg = (name: string) => {
  const i = process.argv.indexOf(name);
  return i > 0 ? process.argv[i + 1] : undefined;
};
const ENGINES = ['kee-policy', 'cedar-wasm'] as const;
const MODES = ['cold', 'warmed'] as const;
type Engine = (typeof ENGINES)[number];
type Mode = (typeof MODES)[number];
type Activation = { activate: number; warm: number | null; first: number; second: number; firstDecision: string; overBudget: boolean };
type Run = { start: number; activations: Activation[] };

/** Version `v` of a set with a schema: typed attributes of every kind, 24 policies over them. */
function schemaSet(v: number): PolicyCandidate {
  const schema = `
type Clearance = { level: Long, since: datetime, zone?: String };
entity Team in [Team];
entity Agent in [Team] { clearance: Clearance, addr: ipaddr, quota: decimal, skills: Set<String>, lead?: Agent };
entity Incident { owner: Agent, responders: Set<Agent>, severity: Long, budget: decimal, region: String };
action "respond", "classify", "close_v${v}" appliesTo {
  principal: Agent, resource: Incident,
  context: { src: ipaddr, amount: decimal, mfa: Bool, tags: Set<String>, hop: { depth: Long } },
};`;
  const lines: string[] = [];
  for (let i = 0; i < 8; i++) {
    lines.push(`@id("owner-${i}") permit (principal in Team::"t${i}", action == Action::"respond", resource) when { principal == resource.owner && resource.severity <= ${i + v} && context.src.isInRange(ip("10.0.0.0/8")) };`);
    lines.push(`@id("responder-${i}") permit (principal, action == Action::"classify", resource) when { resource.responders.contains(principal) && principal.clearance.level >= ${i % 4} && context.amount.lessThan(resource.budget) && principal.skills.contains("s${i}") };`);
    lines.push(`@id("guard-${i}") forbid (principal, action, resource) when { context.hop.depth > ${i + 3} || (principal has lead && principal.lead == resource.owner && !context.mfa) || principal.clearance.since > datetime("2030-01-0${(i % 9) + 1}") };`);
  }
  return { capProfileId: `bench-warm-up`, version: v, schema, policies: lines.join('\n') };
}

/** A request the set permits (owner-0 … owner-7 apply), its entities in the schema-typed form. */
function request(v: number): AuthorizationRequest {
  const agent = { type: 'Agent', id: `a${v}` };
  return {
    principal: agent,
    action: { type: 'Action', id: 'respond' },
    resource: { type: 'Incident', id: `i${v}` },
    context: { src: '10.1.2.3', amount: '1.5', mfa: true, tags: ['x'], hop: { depth: 1 } },
    entities: [
      { uid: agent, attrs: { clearance: { level: 3, since: '2024-01-01' }, addr: '10.9.9.9', quota: '2.5', skills: ['s1', 's2'] }, parents: [{ type: 'Team', id: 't0' }] },
      { uid: { type: 'Incident', id: `i${v}` }, attrs: { owner: agent, responders: [agent], severity: 1, budget: '100.0', region: 'eu' }, parents: [] },
      { uid: { type: 'Team', id: 't0' }, attrs: {}, parents: [] },
    ],
  };
}

/** One fresh process: start, one decision on the built-in set, then `k` activations of sets with schemas. */
async function child(engine: Engine, mode: Mode, k: number): Promise<Run> {
  const merkle = wasmMerkle();
  const base: PolicyEngineFactory = engine === 'cedar-wasm' ? cedarPolicyEngineFactory(loadCedar(), merkle) : keePolicyEngineFactory(loadKeeWasm());
  let evaluated: number[] = [];
  let warmed: number[] = [];
  // The engine as the kernel holds it: its evaluations timed; cold, without its warm-up.
  const timed = (real: PolicyEngine): PolicyEngine => ({
    evaluate: (r) => {
      const t = performance.now();
      try {
        return real.evaluate(r);
      } finally {
        evaluated.push(performance.now() - t);
      }
    },
    active: () => real.active(),
    dispose: () => real.dispose?.(),
    ...(mode === 'warmed'
      ? {
          warm: () => {
            const t = performance.now();
            real.warm?.();
            warmed.push(performance.now() - t);
          },
        }
      : {}),
  });
  const factory: PolicyEngineFactory = { load: (s) => timed(base.load(s)) };
  const dropExporter: SpanExporter = { export: (_s, cb) => cb({ code: 0 }), shutdown: async () => undefined };
  const { telemetry } = createGovernanceTracing({ exporters: [{ exporter: dropExporter }] });
  const t0 = performance.now();
  const kernel = new Kernel({
    ...credentialDeps(),
    store: new MemoryStore(),
    merkle,
    signer: new Ed25519Signer(Ed25519Signer.generateSeed()),
    verifier: ed25519Verifier,
    policy: factory.load(DEFAULT_CAP_PROFILE),
    policyFactory: factory,
    manifest: { kernelVersion: KERNEL_VERSION, wasmModules: WASM_MODULE_SHA256 },
    clock: systemClock,
    telemetry,
    runtime: 'node',
    options: { auth: 'none' },
  });
  await kernel.start();
  const start = performance.now() - t0;
  const session = await kernel.openSession('bench');
  await kernel.authorize(session.session_id, { principal: { type: 'Agent', id: 'a' }, action: { type: 'Action', id: 'read' }, resource: { type: 'Dataset', id: 'd' }, context: {} });
  const activations: Activation[] = [];
  for (let v = 1; v <= k; v++) {
    warmed = [];
    const t = performance.now();
    await kernel.activatePolicy(schemaSet(v));
    const activate = performance.now() - t;
    evaluated = [];
    const first = await kernel.authorize(session.session_id, request(v));
    await kernel.authorize(session.session_id, request(v));
    activations.push({
      activate,
      warm: warmed[0] ?? null,
      first: evaluated[0] ?? NaN,
      second: evaluated[1] ?? NaN,
      firstDecision: first.decision,
      overBudget: first.reasons.some((r) => r.includes('budget')),
    });
  }
  return { start, activations };
}

const quantile = (xs: number[], q: number) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.ceil(q * s.length) - 1)] ?? NaN;
};
const ms = (x: number) => (x >= 10 ? x.toFixed(0) : x >= 1 ? x.toFixed(1) : x.toFixed(2));

async function parent() {
  const runs = Number(arg('--runs') ?? 20);
  const k = Number(arg('--activations') ?? 5);
  const self = fileURLToPath(import.meta.url);
  const loadStart = loadavg();
  const results = new Map<string, Run[]>();
  for (let r = 0; r < runs; r++) {
    for (const engine of ENGINES) {
      for (const mode of MODES) {
        const out = execFileSync(process.execPath, ['--import', 'tsx', self, '--child', engine, mode, String(k)], { encoding: 'utf8', maxBuffer: 1 << 20 });
        const run = JSON.parse(out.trim().split('\n').at(-1) ?? '') as Run;
        const key = `${engine} ${mode}`;
        results.set(key, [...(results.get(key) ?? []), run]);
      }
    }
    console.log(`run ${r + 1}/${runs}, load average ${loadavg()[0]!.toFixed(2)}`);
  }
  const loadEnd = loadavg();
  const rows: string[] = [];
  for (const engine of ENGINES) {
    for (const mode of MODES) {
      const all = results.get(`${engine} ${mode}`) ?? [];
      const firstOfProcess = all.map((x) => x.activations[0]!.first);
      const later = all.flatMap((x) => x.activations.slice(1).map((a) => a.first));
      const second = all.flatMap((x) => x.activations.map((a) => a.second));
      const activate = all.flatMap((x) => x.activations.map((a) => a.activate));
      const warm = all.flatMap((x) => x.activations.flatMap((a) => (a.warm === null ? [] : [a.warm])));
      const over = all.flatMap((x) => x.activations).filter((a) => a.overBudget).length;
      const denied = all.flatMap((x) => x.activations).filter((a) => a.firstDecision !== 'PERMIT').length;
      const start = all.map((x) => x.start);
      rows.push(
        `| ${engine} | ${mode} | ${ms(quantile(firstOfProcess, 0.5))} / ${ms(quantile(firstOfProcess, 0.99))} | ${ms(quantile(later, 0.5))} / ${ms(quantile(later, 0.99))} | ${ms(quantile(second, 0.5))} | ${over} / ${denied} of ${all.length * k} | ${ms(quantile(activate, 0.5))} / ${ms(quantile(activate, 0.99))} | ${warm.length ? `${ms(quantile(warm, 0.5))} / ${ms(quantile(warm, 0.99))}` : '–'} | ${ms(quantile(start, 0.5))} |`,
      );
    }
  }
  const section = `${BEGIN}
## First decision after an activation: cold vs warmed (issue 13)

\`npx tsx bench/policy/warm-up.ts --runs ${runs} --activations ${k}\` on ${cpus().length} × ${cpus()[0]?.model ?? 'cpu'}, Node ${process.version},
${new Date().toISOString().slice(0, 16)}Z. Machine load (1 / 5 / 15 min load average): ${loadStart.map((x) => x.toFixed(2)).join(' / ')} at the start,
${loadEnd.map((x) => x.toFixed(2)).join(' / ')} at the end; the machine was shared with other work throughout.

Each run is a fresh Node process (the cold cost is per process): a kernel starts on the built-in
profile (in-memory store) and decides one request, then activates ${k} sets with a schema one after
another (24 policies over entity-typed, set, record, \`ipaddr\`, \`decimal\` and \`datetime\`
attributes; every request carries its three entities in the schema-typed form) and makes two
decisions after each. Timed: the engine's evaluation of a decision, request serialization
included (what the \`kee-policy\` 100 ms budget measures, give or take the serialization).
**cold**: the engines without \`warm\`, as before this change. **warmed**: the kernel warms
each set before the swap and the built-in set at start (\`PolicyEngine.warm\`). ${runs} runs per
row, the four rows interleaved; with so few samples, each p99 is the largest one seen.

| engine | mode | 1st decision after the 1st activation of a process, p50 / p99 ms | 1st decision after later activations, p50 / p99 ms | 2nd decision, p50 ms | over the budget / not PERMIT (1st decisions) | \`activatePolicy\`, p50 / p99 ms | warm-up, p50 / p99 ms | \`kernel.start\`, p50 ms |
|---|---|---:|---:|---:|---:|---:|---:|---:|
${rows.join('\n')}

Reading: the cold first decision of a process is the lazy compilation of the engine's code, and
\`kee-policy\` DENYs it when it passes the 100 ms budget; warmed, that cost is paid by the
warm-up inside the activation (and at start), outside any decision. Large p99s of later
activations in both modes are the shared machine (a decision descheduled), not compilation: the
p50s and the second decisions are alike in both modes. cedar-wasm has no time budget: its first
decisions are never DENYed for time, only slow.
${END}`;
  const file = new URL('./RESULTS.md', import.meta.url);
  const text = existsSync(file) ? readFileSync(file, 'utf8') : '# bench/policy results\n';
  const at = text.indexOf(BEGIN);
  const next = at >= 0 ? `${text.slice(0, at)}${section}${text.slice(text.indexOf(END) + END.length)}` : `${text.trimEnd()}\n\n${section}\n`;
  writeFileSync(file, next);
  console.log(section);
}

const BEGIN = '<!-- bench/policy/warm-up.ts: begin -->';
const END = '<!-- bench/policy/warm-up.ts: end -->';

if (process.argv.includes('--child')) {
  const i = process.argv.indexOf('--child');
  const run = await child(process.argv[i + 1] as Engine, process.argv[i + 2] as Mode, Number(process.argv[i + 3]));
  console.log(JSON.stringify(run));
} else {
  await parent();
}
