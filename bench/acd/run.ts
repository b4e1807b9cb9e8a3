/**
 * bench/acd: what the P3 ACD handshake costs (docs/acd.md).
 * - handshake: `GET /.well-known/soos-acd` through the app (in-process, no socket), one at a
 *   time (latency p50 / p99 / max) and 16 in flight (records per second): ALE-056, the four
 *   checks (manifest re-verified with its stored copy, the policy hash recomputed, registry
 *   reads), JCS, one Ed25519 signature, ALE-057, all on the in-memory store;
 * - the four checks' share: `rehash()` of the serving set alone (Check 2 reloads its text);
 * - the provider: `validateAcdRecord` (the six validations, `jose` EdDSA verify).
 * Run: `npm run bench:acd [-- --seconds 3]`. Writes bench/acd/RESULTS.md with the machine load.
 */
import '../../src/entry/node-v8-flags.ts';
import { writeFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import type { SpanExporter } from '@opentelemetry/sdk-trace';
import { DEFAULT_CAP_PROFILE } from '../../src/adapters/cedar/default-profile.ts';
import { credentialDeps } from '../../src/adapters/jose/credential-deps.ts';
import { keePolicyEngineFactory } from '../../src/adapters/kee-policy/factory.ts';
import { MemoryStore } from '../../src/adapters/memory/store.ts';
import { Ed25519Signer, ed25519Verifier } from '../../src/adapters/noble/ed25519.ts';
import { createGovernanceTracing } from '../../src/adapters/otel/telemetry.ts';
import { systemClock } from '../../src/adapters/system/clock.ts';
import { createApp } from '../../src/app.ts';
import { KERNEL_VERSION, WASM_MODULE_SHA256 } from '../../src/entry/build-info.ts';
import { Kernel } from '../../src/kernel/kernel.ts';
import { validateAcdRecord } from '../../src/verifier/index.ts';
import { loadKeeWasm, wasmMerkle } from '../../test/support/wasm.ts';

const secArg = process.argv.indexOf('--seconds');
const SECONDS = secArg > 0 ? Number(process.argv[secArg + 1]) : 3;
const dropExporter: SpanExporter = { export: (_s, cb) => cb({ code: 0 }), shutdown: async () => undefined };
const loadBefore = loadavg();

const policyFactory = keePolicyEngineFactory(loadKeeWasm());
const policy = policyFactory.load(DEFAULT_CAP_PROFILE);
const { telemetry } = createGovernanceTracing({ exporters: [{ exporter: dropExporter }] });
const kernel = new Kernel({
  store: new MemoryStore(),
  merkle: wasmMerkle(),
  signer: new Ed25519Signer(Ed25519Signer.generateSeed()),
  verifier: ed25519Verifier,
  ...credentialDeps(),
  policy,
  policyFactory,
  clock: systemClock,
  telemetry,
  runtime: 'node',
  manifest: { kernelVersion: KERNEL_VERSION, wasmModules: WASM_MODULE_SHA256 },
  options: { acd: { profile: { operator_id: 'urn:soos:kia:bench-operator:jp:v1', jurisdictions: [{ jurisdiction_code: 'JP', regulatory_regime: ['APPI'], ptd_endpoint: null }] } } },
});
await kernel.start();
const app = createApp(kernel);
const agent = await kernel.registerAgent({ agent_id: 'bench-agent', public_keys: [{ x: '11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo' }] }, 'bench');
const session = await kernel.openSession('bench-agent');
const url = `http://kee.bench/.well-known/soos-acd?aep_session_id=${session.session_id}`;

async function handshake(): Promise<string> {
  const res = await app.request(url, { headers: { accept: 'application/soos-acd+json' } });
  if (res.status !== 200) throw new Error(`handshake answered ${res.status}: ${await res.text()}`);
  return res.text();
}

/** Latencies (ms) of `op` run one at a time for SECONDS, after a warm-up. */
async function sequential(op: () => Promise<unknown>): Promise<number[]> {
  for (let i = 0; i < 100; i++) await op();
  const out: number[] = [];
  const t0 = performance.now();
  while (performance.now() - t0 < SECONDS * 1000) {
    const t = performance.now();
    await op();
    out.push(performance.now() - t);
  }
  return out;
}

async function concurrent(op: () => Promise<unknown>, inFlight: number): Promise<number> {
  let n = 0;
  const t0 = performance.now();
  await Promise.all(
    Array.from({ length: inFlight }, async () => {
      while (performance.now() - t0 < SECONDS * 1000) {
        await op();
        n++;
      }
    }),
  );
  return n / ((performance.now() - t0) / 1000);
}

const pct = (xs: number[], p: number) => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor((p / 100) * xs.length))] as number;
const ms = (v: number) => `${v.toFixed(3)} ms`;

const lat = await sequential(handshake);
const parallel = await concurrent(handshake, 16);
const rehash = await sequential(async () => policy.rehash?.());
const body = await handshake();
const input = { kiaPublicKey: kernel.publicKey().public_key, expectedXpid: agent.xpid, aepSessionId: session.session_id, requirements: { jurisdiction: 'JP', regulatoryRegimes: ['APPI'] } };
const first = await validateAcdRecord(body, input);
if (!first.ok) throw new Error(`the bench record does not validate: ${first.reason}`);
const validate = await sequential(() => validateAcdRecord(body, input));
const loadAfter = loadavg();

const rows = [
  ['handshake, one at a time', `${Math.round(lat.length / SECONDS).toLocaleString('en')} records/s`, ms(pct(lat, 50)), ms(pct(lat, 99)), ms(Math.max(...lat))],
  ['handshake, 16 in flight', `${Math.round(parallel).toLocaleString('en')} records/s`, '', '', ''],
  ['Check 2 `rehash()` of the default set alone', `${Math.round(rehash.length / SECONDS).toLocaleString('en')} /s`, ms(pct(rehash, 50)), ms(pct(rehash, 99)), ms(Math.max(...rehash))],
  ['provider `validateAcdRecord`', `${Math.round(validate.length / SECONDS).toLocaleString('en')} /s`, ms(pct(validate, 50)), ms(pct(validate, 99)), ms(Math.max(...validate))],
];
const table = ['| what | rate | p50 | p99 | max |', '| --- | ---: | ---: | ---: | ---: |', ...rows.map((r) => `| ${r.join(' | ')} |`)].join('\n');
console.log(table);
const load = `load average (1/5/15 min) ${loadBefore.map((l) => l.toFixed(2)).join('/')} before, ${loadAfter.map((l) => l.toFixed(2)).join('/')} after`;
writeFileSync(
  'bench/acd/RESULTS.md',
  `# bench/acd results\n\nMachine: ${cpus().length} × ${cpus()[0]?.model ?? 'cpu'}, Node ${process.version}; in-memory store, kee-policy engine, single Ed25519 key (no FROST round trip); ${SECONDS} s per row; ${load}. The machine is shared with other jobs: compare rows of one run, not runs.\nCommand: \`npm run bench:acd\`.\n\n${table}\n\nThe handshake journals two records (ALE-056, ALE-057) per record issued, re-verifies the GEC Manifest against its stored copy, reloads the serving set's text to hash it (Check 2: never cached) and signs once. With FROST the signature is a threshold round (bench/signing) and dominates.\n`,
);
kernel.stop();
