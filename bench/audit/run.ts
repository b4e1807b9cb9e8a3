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
 * Run: `npm run bench:audit [-- --seconds 3]`. Writes bench/audit/RESULTS.md.
 */
import '../../src/entry/node-v8-flags.ts';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { createClient } from '@libsql/client';
import type { SpanExporter } from '@opentelemetry/sdk-trace';
import { openLibsqlStore } from '../../src/adapters/libsql/open-libsql.ts';
import { Ed25519Signer, ed25519Verifier } from '../../src/adapters/noble/ed25519.ts';
import { createGovernanceTracing } from '../../src/adapters/otel/telemetry.ts';
import { systemClock } from '../../src/adapters/system/clock.ts';
import { AuditLog } from '../../src/kernel/audit/audit-log.ts';
import { KERNEL_VERSION, WASM_MODULE_SHA256 } from '../../src/entry/build-info.ts';
import { Kernel } from '../../src/kernel/kernel.ts';
import { KernelState } from '../../src/kernel/state/kernel-state.ts';
import { cedarPolicyEngineFactory } from '../../src/adapters/cedar/factory.ts';
import { CedarPolicyEngine } from '../../src/adapters/cedar/policy-engine.ts';
import { DEFAULT_CAP_PROFILE } from '../../src/adapters/cedar/default-profile.ts';
import { loadCedar } from '../../test/support/cedar.ts';
import { wasmMerkle } from '../../test/support/wasm.ts';

const secArg = process.argv.indexOf('--seconds');
const SECONDS = secArg > 0 ? Number(process.argv[secArg + 1]) : 3;

/** Spans are produced (P6) and dropped: the bench measures the kernel, not an exporter. */
const dropExporter: SpanExporter = { export: (_s, cb) => cb({ code: 0 }), shutdown: async () => undefined };

type Row = { mode: string; writers: number; offered?: number; perSec: number; p50: number; p99: number; max: number };

const pct = (xs: number[], p: number) => xs[Math.min(xs.length - 1, Math.floor((p / 100) * xs.length))] ?? NaN;

async function run(mode: 'single-row commit' | 'group commit' | 'authorize (group commit)', writers: number, offered?: number): Promise<Row> {
  const dir = mkdtempSync(join(tmpdir(), 'kee-bench-audit-'));
  const client = createClient({ url: `file:${join(dir, 'kee.db')}` });
  const store = await openLibsqlStore(client, { embedded: true });
  const merkle = wasmMerkle();
  const { telemetry } = createGovernanceTracing({ exporters: [{ exporter: dropExporter }] });
  const maxBatch = mode === 'single-row commit' ? 1 : 2000;
  const signer = new Ed25519Signer(Ed25519Signer.generateSeed());
  const policy = CedarPolicyEngine.load(loadCedar(), DEFAULT_CAP_PROFILE, merkle);
  const policyFactory = cedarPolicyEngineFactory(loadCedar(), merkle);
  const kernel = new Kernel({ store, merkle, signer, verifier: ed25519Verifier, policy, policyFactory, clock: systemClock, telemetry, runtime: 'node', manifest: { kernelVersion: KERNEL_VERSION, wasmModules: WASM_MODULE_SHA256 }, options: { maxBatch } });
  await kernel.start();
  const log = new AuditLog({ store, merkle, clock: systemClock, telemetry, state: new KernelState(), kernelId: kernel.kernelId, maxBatch });
  const sessions: { session_id: string; block_id: string }[] = [];
  for (let i = 0; i < writers; i++) sessions.push(await kernel.openSession(`agent-${i}`));

  const latencies: number[] = [];
  let stop = false;
  let count = 0;
  const request = { principal: { type: 'Agent', id: 'a' }, action: { type: 'Action', id: 'read' }, resource: { type: 'Dataset', id: 'd' }, context: {} };
  const t0 = performance.now();
  const one = (s: (typeof sessions)[number]) =>
    mode === 'authorize (group commit)'
      ? kernel.authorize(s.session_id, request)
      : log.append(s, 'CEDAR_PERMIT', { decision: 'PERMIT', policy_ids: ['kee-default-read'], subject_digest: 'ab'.repeat(32) });
  if (offered) {
    // open loop: Poisson arrivals at `offered`/s, issued on time whatever is outstanding
    const inflight: Promise<void>[] = [];
    let next = t0;
    let k = 0;
    while (next - t0 < SECONDS * 1000) {
      const now = performance.now();
      while (next <= now) {
        const at = next;
        const s = sessions[k++ % sessions.length]!;
        inflight.push(
          one(s).then(() => {
            latencies.push(performance.now() - at);
            count++;
          }),
        );
        next += (-Math.log(1 - Math.random()) / offered) * 1000;
      }
      await new Promise((r) => setTimeout(r, 0));
    }
    await Promise.all(inflight);
  } else await Promise.all(
    sessions.map(async (s) => {
      while (!stop) {
        const t = performance.now();
        await one(s);
        latencies.push(performance.now() - t);
        count++;
        if (performance.now() - t0 > SECONDS * 1000) stop = true;
      }
    }),
  );
  const elapsed = (performance.now() - t0) / 1000;
  client.close();
  latencies.sort((a, b) => a - b);
  return { mode, writers, ...(offered ? { offered } : {}), perSec: count / elapsed, p50: pct(latencies, 50), p99: pct(latencies, 99), max: latencies[latencies.length - 1] ?? NaN };
}

const rows: Row[] = [];
const record = (r: Row) => {
  rows.push(r);
  console.error(`${r.mode} ${r.writers}${r.offered ? ` @${r.offered}/s` : ''}: ${Math.round(r.perSec)}/s p50 ${r.p50.toFixed(2)} ms p99 ${r.p99.toFixed(2)} ms`);
};
for (const mode of ['single-row commit', 'group commit', 'authorize (group commit)'] as const) {
  for (const writers of [1, 64, 1024]) record(await run(mode, writers));
}
for (const offered of [5_000, 10_000, 20_000]) record(await run('group commit', 1024, offered));
for (const offered of [5_000, 10_000]) record(await run('authorize (group commit)', 1024, offered));
const table = [
  '| mode | writers | load | durable appends/s | p50 ms | p99 ms | max ms |',
  '| --- | ---: | --- | ---: | ---: | ---: | ---: |',
  ...rows.map(
    (r) =>
      `| ${r.mode} | ${r.writers} | ${r.offered ? `open loop, ${r.offered.toLocaleString('en')}/s offered` : 'closed loop'} | ${Math.round(r.perSec).toLocaleString('en')} | ${r.p50.toFixed(2)} | ${r.p99.toFixed(2)} | ${r.max.toFixed(1)} |`,
  ),
].join('\n');
console.log(table);
writeFileSync(
  'bench/audit/RESULTS.md',
  `# bench/audit results\n\nMachine: ${cpus().length} × ${cpus()[0]?.model ?? 'cpu'}, Node ${process.version}; embedded libSQL file, WAL, synchronous=FULL; ${SECONDS} s per row.\nCommand: \`npm run bench:audit\`.\n\n${table}\n`,
);
