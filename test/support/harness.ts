// Node 20 V8 crash workaround (see the module): tests drive the kernel under heavy concurrency
import { joseAgentProofs } from '../../src/adapters/jose/agent-proofs.ts';
import '../../src/entry/node-v8-flags.ts';
import { InMemorySpanExporter } from '@opentelemetry/sdk-trace';
import { DEFAULT_CAP_PROFILE } from '../../src/adapters/cedar/default-profile.ts';
import { cedarPolicyEngineFactory } from '../../src/adapters/cedar/factory.ts';
import { keePolicyEngineFactory } from '../../src/adapters/kee-policy/factory.ts';
import { MemoryStore } from '../../src/adapters/memory/store.ts';
import { JoseTokenSigner } from '../../src/adapters/jose/token-signer.ts';
import { nobleIntentHasher } from '../../src/adapters/noble/blake2b.ts';
import { Ed25519Signer, ed25519Verifier } from '../../src/adapters/noble/ed25519.ts';
import { uuidXpidDeriver } from '../../src/adapters/uuid/xpid.ts';
import { createGovernanceTracing } from '../../src/adapters/otel/telemetry.ts';
import { systemClock } from '../../src/adapters/system/clock.ts';
import { createApp } from '../../src/app.ts';
import { KERNEL_VERSION, WASM_MODULE_SHA256 } from '../../src/entry/build-info.ts';
import { Kernel } from '../../src/kernel/kernel.ts';
import type { KernelDeps } from '../../src/kernel/deps.ts';
import type { Merkle } from '../../src/ports/merkle.ts';
import type { PolicySource } from '../../src/ports/policy.ts';
import type { Signer } from '../../src/ports/signer.ts';
import type { AuditStore } from '../../src/ports/storage.ts';
import { loadCedar } from './cedar.ts';
import { loadKeeWasm, wasmMerkle } from './wasm.ts';

export type EngineName = 'kee-policy' | 'cedar-wasm';

/**
 * The engine factory the entries build for `KEE_POLICY_ENGINE=<name>`. Tests lift the
 * kee-policy time budget (a DENY past 100 ms) out of reach: on a shared, loaded machine a
 * preempted decision would otherwise fail an assertion about policy. The budget itself is
 * tested with an injected clock.
 */
export function engineFactory(name: EngineName = 'kee-policy', merkle: Merkle = wasmMerkle()) {
  return name === 'cedar-wasm' ? cedarPolicyEngineFactory(loadCedar(), merkle) : keePolicyEngineFactory(loadKeeWasm(), { budgetMs: 60_000 });
}

export type Harness = ReturnType<typeof makeHarness>;

/**
 * A kernel over in-memory adapters (unless given others), its app, and its span exporter. The
 * engine is `kee-policy` (the default in every entry) unless `engine` says `cedar-wasm`.
 */
export function makeHarness(
  options: { store?: AuditStore; merkle?: Merkle; profile?: PolicySource; engine?: EngineName; deps?: Partial<KernelDeps>; signer?: Signer; start?: boolean } = {},
) {
  const merkle = options.merkle ?? wasmMerkle();
  // typed as MemoryStore for the tamper hooks; only tests that pass no store use them
  const store = (options.store ?? new MemoryStore()) as MemoryStore;
  const spans = new InMemorySpanExporter();
  const { telemetry } = createGovernanceTracing({ exporters: [{ exporter: spans }] });
  const signer = options.signer ?? new Ed25519Signer(Ed25519Signer.generateSeed());
  const policyFactory = engineFactory(options.engine, merkle);
  const policy = policyFactory.load(options.profile ?? DEFAULT_CAP_PROFILE);
  const manifest = { kernelVersion: KERNEL_VERSION, wasmModules: WASM_MODULE_SHA256 };
  const tokens = options.deps?.tokens ?? new JoseTokenSigner(JoseTokenSigner.generateSeed());
  const kernel = new Kernel({ store, merkle, signer, verifier: ed25519Verifier, tokens, intentHasher: nobleIntentHasher, xpid: uuidXpidDeriver(), agentProofs: joseAgentProofs, policy, policyFactory, clock: systemClock, telemetry, runtime: 'node', manifest, ...options.deps, options: { auth: 'none', ...options.deps?.options } });
  // calls made before start() settles wait for it; `started` rejects if it fails
  const started = options.start === false ? Promise.resolve() : kernel.start();
  started.catch(() => undefined);
  const app = createApp(kernel);
  const call = async (method: string, path: string, body?: unknown, headers: Record<string, string> = {}) => {
    const init: RequestInit = { method, headers: { ...(body === undefined ? {} : { 'content-type': 'application/json' }), ...headers } };
    if (body !== undefined) init.body = typeof body === 'string' || body instanceof Uint8Array ? (body as BodyInit) : JSON.stringify(body);
    const res = await app.request(`http://kee.test${path}`, init);
    const text = await res.text();
    let json: any;
    try {
      json = JSON.parse(text);
    } catch {
      json = undefined;
    }
    return { status: res.status, headers: res.headers, json, text };
  };
  return { kernel, app, store, merkle, spans, signer, tokens, call, started };
}

export const agentRead = (id = 'agent-1') => ({
  principal: { type: 'Agent', id },
  action: { type: 'Action', id: 'read' },
  resource: { type: 'Dataset', id: 'quake-sensors' },
  context: {},
});

/**
 * `classify_gold` in the built-in profile: a DENY that opens a HEM-HIGH-1 escalation. `approved`
 * sends the agent's own `context.human_approval`, which the kernel discards (it permits nothing):
 * a PERMIT needs an approver's answer (`approvedGold`).
 */
export const classifyGold = (approved?: boolean) => ({
  principal: { type: 'Agent', id: 'master-ai' },
  action: { type: 'Action', id: 'classify_gold' },
  resource: { type: 'Incident', id: 'm7.2-2026' },
  context: approved === undefined ? {} : { human_approval: approved },
});

/**
 * A `classify_gold` request the kernel PERMITs: asked once at `path` (a session's or the
 * one-shot authorize route) its DENY opens an escalation, which is approved straight on the
 * kernel (as `test-approver`); the request returned names it (`hem_id`). Costs one DENY record.
 */
export async function approvedGold(h: Pick<Harness, 'call' | 'kernel'>, path: string): Promise<ReturnType<typeof classifyGold> & { hem_id: string }> {
  const deny = await h.call('POST', path, classifyGold());
  const hemId = deny.json?.escalation?.hem_id as string | undefined;
  if (hemId === undefined) throw new Error(`classify_gold opened no escalation: ${deny.text}`);
  await h.kernel.resolveEscalation(hemId, 'APPROVED', 'test-approver', null);
  return { ...classifyGold(), hem_id: hemId };
}
