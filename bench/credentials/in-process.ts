/**
 * bench/credentials, in process (run by `run.ts` under Node, Bun or Deno): what intent-bound
 * credentials cost.
 * - issue: the kernel signs one credential (claims, agent XPID, `jose` EdDSA compact JWS);
 * - verify: `kee/verifier` checks one (signature against the cached JWKS, claims, the intent
 *   recomputed, the revocation feed, polled every 5 s through an in-process fetch);
 * - whole decisions (`kernel.authorize`, in-memory store, 64 writers): PERMITs, which are
 *   recorded with a credential signed after the record, against DENYs, which carry none.
 * Prints one JSON line `{"runtime","version","issue","verify","permits","denies"}` (per second).
 */
import process from 'node:process';
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
import { CredentialIssuer } from '../../src/kernel/credentials/issuer.ts';
import { Kernel } from '../../src/kernel/kernel.ts';
import type { AuthorizationRequest } from '../../src/kernel/types.ts';
import { createCredentialVerifier } from '../../src/verifier/index.ts';
import { loadKeeWasm, wasmMerkle } from '../../test/support/wasm.ts';

const RUNTIME = 'Bun' in globalThis ? 'bun' : 'Deno' in globalThis ? 'deno' : 'node';
// Node 20's V8 crash workaround (src/entry/node-v8-flags.ts); Bun and Deno are unaffected
if (RUNTIME === 'node') await import('../../src/entry/node-v8-flags.ts');
const VERSION = RUNTIME === 'bun' ? String((globalThis as unknown as { Bun: { version: string } }).Bun.version) : RUNTIME === 'deno' ? String((globalThis as unknown as { Deno: { version: { deno: string } } }).Deno.version.deno) : process.version;
const secArg = process.argv.indexOf('--seconds');
const SECONDS = secArg > 0 ? Number(process.argv[secArg + 1]) : 3;
const dropExporter: SpanExporter = { export: (_s, cb) => cb({ code: 0 }), shutdown: async () => undefined };

async function makeKernel(): Promise<Kernel> {
  const merkle = wasmMerkle();
  const policyFactory = keePolicyEngineFactory(loadKeeWasm());
  const { telemetry } = createGovernanceTracing({ exporters: [{ exporter: dropExporter }] });
  const kernel = new Kernel({
    store: new MemoryStore(),
    merkle,
    signer: new Ed25519Signer(Ed25519Signer.generateSeed()),
    verifier: ed25519Verifier,
    ...credentialDeps(),
    policy: policyFactory.load(DEFAULT_CAP_PROFILE),
    policyFactory,
    clock: systemClock,
    telemetry,
    runtime: RUNTIME,
    manifest: { kernelVersion: KERNEL_VERSION, wasmModules: WASM_MODULE_SHA256 },
    options: { auth: 'none' },
  });
  await kernel.start();
  return kernel;
}

/** Operations per second of `op` run back to back for SECONDS. */
async function perSecond(op: () => Promise<unknown>): Promise<number> {
  for (let i = 0; i < 200; i++) await op();
  let n = 0;
  const t0 = performance.now();
  while (performance.now() - t0 < SECONDS * 1000) {
    await op();
    n++;
  }
  return n / ((performance.now() - t0) / 1000);
}

async function decisionsPerSec(kernel: Kernel, request: AuthorizationRequest, writers: number): Promise<number> {
  const sessions = await Promise.all(Array.from({ length: writers }, (_, i) => kernel.openSession(`agent-${i}`)));
  let count = 0;
  const t0 = performance.now();
  await Promise.all(
    sessions.map(async (s) => {
      while (performance.now() - t0 < SECONDS * 1000) {
        await kernel.authorize(s.session_id, request);
        count++;
      }
    }),
  );
  return count / ((performance.now() - t0) / 1000);
}

const kernel = await makeKernel();
const app = createApp(kernel);
const read: AuthorizationRequest = { principal: { type: 'Agent', id: 'a' }, action: { type: 'Action', id: 'read' }, resource: { type: 'Dataset', id: 'd' }, context: { ticket: 7 }, audience: 'https://files.example' };
const deny: AuthorizationRequest = { principal: { type: 'Agent', id: 'a' }, action: { type: 'Action', id: 'classify_gold' }, resource: { type: 'Incident', id: 'm7.2' }, context: {} };

const deps = credentialDeps();
const benchMerkle = wasmMerkle();
const issuer = new CredentialIssuer({ ...deps, hasher: deps.intentHasher, sha256: (b) => benchMerkle.sha256(b), clock: systemClock, kernelId: kernel.kernelId, issuer: kernel.issuer });
const session = { session_id: 's', block_id: '0'.repeat(32), agent_id: 'agent-1', status: 'OPEN' as const, created_at: '' };
const facts = { ale_seq: 2, cedar_policy_hash: 'ab'.repeat(32), cap_profile_hash: null };
const issue = await perSecond(() => issuer.issue(issuer.prepare(read), session, read, facts));

const token = (await kernel.authorize((await kernel.openSession('agent-v')).session_id, read)).credential as string;
const verifier = createCredentialVerifier({ kernelUrl: 'http://kee.bench', issuer: kernel.issuer, audience: 'https://files.example', fetch: ((u: RequestInfo | URL, i?: RequestInit) => app.request(String(u), i)) as typeof fetch });
const intent = { principal: read.principal, action: read.action, resource: read.resource, context: read.context };
const check = await verifier.verify(token, intent);
if (!check.ok) throw new Error(`the bench credential does not verify: ${check.reason}`);
const verify = await perSecond(() => verifier.verify(token, intent));

const permits = await decisionsPerSec(await makeKernel(), read, 64);
const denies = await decisionsPerSec(await makeKernel(), deny, 64);

console.log(JSON.stringify({ runtime: RUNTIME, version: VERSION, issue, verify, permits, denies }));
kernel.stop();
process.exit(0);
