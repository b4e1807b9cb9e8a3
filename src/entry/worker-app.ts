/**
 * The Cloudflare Workers (workerd) kernel, shared by the two Worker builds: `workers.ts` (the
 * default, `kee-policy` only) and `workers-cedar.ts` (adds `@cedar-policy/cedar-wasm`). Storage
 * is D1 through drizzle (`wrangler dev` keeps it in a local SQLite file under KEE_DATA_DIR); the
 * WASM modules are imported by the entry as compiled modules. Configuration comes from the
 * Worker's bindings, never the shell (`worker-config.ts`, docs/configuration.md): the kernel key
 * from the `KEE_SIGNING_KEY` secret (32-byte hex seed; without it an ephemeral key, warned about
 * loudly and listed in `/healthz`), the policy engine from `KEE_POLICY_ENGINE`, the credential token key from `KEE_TOKEN_KEY`, operator
 * keys from `KEE_OPERATOR_JWKS`, agent authentication from `KEE_AUTH`. A malformed value,
 * or an engine the build does not carry, answers 503 with one line to every request. The
 * manifest declares the hashes, recorded in build-info.ts, of the WASM modules the build carries
 * (a compiled module's bytes cannot be hashed here).
 */
import { drizzle } from 'drizzle-orm/d1';
import type { Hono } from 'hono';
import type { CedarApi } from '../adapters/cedar/cedar-api.ts';
import { DEFAULT_CAP_PROFILE } from '../adapters/cedar/default-profile.ts';
import { createKeePolicyInspector, createPolicyInspector } from '../adapters/cedar/policy-inspector.ts';
import { joseAgentProofs } from '../adapters/jose/agent-proofs.ts';
import { joseJwsVerifier } from '../adapters/jose/jws.ts';
import { joseOperatorTokenVerifier } from '../adapters/jose/operator-tokens.ts';
import { JoseTokenSigner } from '../adapters/jose/token-signer.ts';
import { nobleIntentHasher } from '../adapters/noble/blake2b.ts';
import { migrate } from '../adapters/libsql/migrate.ts';
import { schema } from '../adapters/libsql/schema.ts';
import { SqliteAuditStore, type SqliteDb } from '../adapters/libsql/store.ts';
import { SqliteReplayStore } from '../adapters/libsql/replay-store.ts';
import { Ed25519Signer, ed25519Verifier } from '../adapters/noble/ed25519.ts';
import { unexportedTelemetry } from '../adapters/otel/unexported.ts';
import { uuidXpidDeriver } from '../adapters/uuid/xpid.ts';
import { systemClock } from '../adapters/system/clock.ts';
import { initKeeWasmWorker } from '../adapters/wasm/load-worker.ts';
import { WasmMerkle } from '../adapters/wasm/merkle.ts';
import { createAppCore } from '../app-core.ts';
import { Kernel } from '../kernel/kernel.ts';
import { parsePublisherKeys } from '../kernel/cap-profile/publisher-keys.ts';
import { publisherKeySet } from '../kernel/cap-profile/verify-update.ts';
import { policyEngineFactory, type PolicyEngineName } from './policy-engine.ts';
import type { PolicyEngine } from '../ports/policy.ts';
import { isLoopback } from './loopback.ts';
import { recoveryGate, type RecoveryGate } from './recovery-gate.ts';
import { startupTimings } from './startup-timings.ts';
import { misconfigured, offLoopback, readWorkerConfig, withWarnings, type WorkerEnv } from './worker-config.ts';
import { CEDAR_WASM_MODULE, KEE_WASM_WORKER_MODULE, KEE_WASM_WORKER_SHA256, KERNEL_VERSION, WASM_MODULE_SHA256 } from './build-info.ts';

/** What a Worker build carries: the compiled `kee_wasm_worker_bg.wasm` module, and cedar-wasm or not. */
export type WorkerBuild = {
  keeModule: WebAssembly.Module;
  /** Initializes cedar-wasm and gives it; null in the default build, which does not carry it. */
  cedar: (() => CedarApi) | null;
};

type Built = { app: Hono; warnings: string[]; auth: 'agents' | 'none' };

/** The message of a Worker asked for cedar-wasm by a build that does not carry it. */
export const NO_CEDAR_BUILD =
  'KEE_POLICY_ENGINE=cedar-wasm needs the cedar Worker build, which carries @cedar-policy/cedar-wasm: deploy it with `wrangler deploy --env cedar` (docs/edge.md)';

/** What a Worker's `fetch` gets as its third argument: work that may outlive the response. */
type WaitUntil = { waitUntil?: (p: Promise<unknown>) => void };

/**
 * What an isolate prepares at global scope, before its first request: on Cloudflare while the TLS
 * handshake that woke it runs, under `wrangler dev` before "Ready on". The Kee WASM module (and
 * cedar-wasm in its build) instantiated, the built-in CAP Profile loaded by the engine the build
 * selects and warmed (V8 compiles a WASM function on its first call: the parser, the evaluator,
 * the policy hash), and the first JCS, SHA-256, Ed25519 signature and verification run. It needs
 * no binding; the first request's start uses the engine when the configuration selects the same
 * one (`KEE_POLICY_ENGINE`), and loads its own otherwise. Null when anything failed there: the
 * start then does it all, as before.
 */
type Early = { engine: PolicyEngineName; policy: PolicyEngine };

const utf8 = new TextEncoder();

function prepareEarly(carried: WorkerBuild): Early | null {
  try {
    const wasm = initKeeWasmWorker(carried.keeModule);
    const merkle = new WasmMerkle(wasm);
    const engine: PolicyEngineName = carried.cedar ? 'cedar-wasm' : 'kee-policy';
    const policy = policyEngineFactory(engine, { wasm, merkle, cedar: () => (carried.cedar as () => CedarApi)() }).load(DEFAULT_CAP_PROFILE);
    policy.warm?.();
    policy.rehash?.();
    const digest = merkle.sha256(utf8.encode(merkle.canonicalize({ warm: [1, 'up', true, null] })));
    const key = new Ed25519Signer(new Uint8Array(32).fill(7));
    void key.sign(digest).then((signature) => ed25519Verifier.verify(signature, digest, key.publicKey()));
    return { engine, policy };
  } catch {
    return null;
  }
}

/** `f` called once and its value kept (after an exception, the next call tries again). */
function once<T>(f: () => T): () => T {
  let done: { value: T } | null = null;
  return () => (done ??= { value: f() }).value;
}

/**
 * The recovery of an earlier isolate's leftovers waits for the isolate's first quiet moment: no
 * request in flight for 50 ms (its first session opened and authorized), 1 s after the start at
 * the latest (a steady stream of requests does not hold it back longer).
 */
const RECOVERY_QUIET_MS = 50;
const RECOVERY_MAX_MS = 1_000;

async function build(env: WorkerEnv, carried: WorkerBuild, ctx: WaitUntil | undefined, early: Early | null, gate: RecoveryGate): Promise<Built> {
  const timings = startupTimings();
  const config = readWorkerConfig(env);
  if (config.engine === 'cedar-wasm' && !carried.cedar) throw new Error(NO_CEDAR_BUILD);
  // loud, once per isolate: these are the settings a Worker silently lacks otherwise
  for (const w of config.warnings) console.warn(`kee: WARNING: ${w}`);
  const capKeys = config.publisherKeys ? await checkedPublisherKeys(config.publisherKeys) : null;
  timings.step('config');
  const wasm = initKeeWasmWorker(carried.keeModule);
  const merkle = new WasmMerkle(wasm);
  const cedar = carried.cedar?.() ?? null;
  timings.step('wasm instantiate');
  const db = drizzle(env.DB as Parameters<typeof drizzle>[0], { schema }) as unknown as SqliteDb;
  await migrate(db);
  timings.step('D1 migrations');
  const signer = new Ed25519Signer(config.signingSeed ?? Ed25519Signer.generateSeed());
  const tokens = new JoseTokenSigner(config.tokenSeed ?? JoseTokenSigner.generateSeed());
  // no span exporter on a Worker: spans run their function only (what the OTel adapter does without exporters)
  const telemetry = unexportedTelemetry;
  const policyFactory = policyEngineFactory(config.engine, {
    wasm,
    cedar: () => {
      if (!cedar) throw new Error(NO_CEDAR_BUILD);
      return cedar;
    },
    merkle,
  });
  const policy = early?.engine === config.engine ? early.policy : policyFactory.load(DEFAULT_CAP_PROFILE);
  timings.step('policy load');
  // P4: without KEE_PUBLISHER_KEYS (no files to keep dev keys in) CAP Profile updates answer 503
  const capProfile = capKeys
    ? {
        publisherKeys: capKeys,
        jws: joseJwsVerifier,
        inspector: cedar ? createPolicyInspector(cedar, wasm) : createKeePolicyInspector(wasm),
      }
    : undefined;
  const wasmModules: Record<string, string> = { [KEE_WASM_WORKER_MODULE]: KEE_WASM_WORKER_SHA256 };
  if (cedar) wasmModules[CEDAR_WASM_MODULE] = WASM_MODULE_SHA256[CEDAR_WASM_MODULE] as string;
  const manifest = { kernelVersion: KERNEL_VERSION, wasmModules };
  const kernel = new Kernel({ store: new SqliteAuditStore(db), policy, policyFactory, signer, verifier: ed25519Verifier, merkle, tokens, intentHasher: nobleIntentHasher, xpid: uuidXpidDeriver(), agentProofs: joseAgentProofs, replayStore: new SqliteReplayStore(db), clock: systemClock, telemetry, runtime: 'workerd', manifest, options: { groupCommit: false, deferRecovery: true, recoveryGate: () => gate.quiet(), auth: config.auth, acd: config.acd }, ...(capProfile ? { capProfile } : {}), ...(config.operators ? { operatorTokens: joseOperatorTokenVerifier(config.operators) } : {}) });
  await kernel.start();
  timings.step('kernel start');
  // what an earlier isolate left behind is recovered once the first requests are answered (the
  // gate), kept alive past this request's response
  ctx?.waitUntil?.(kernel.recovered());
  if (config.startupTimings) console.info(timings.line());
  // /openapi.json and the console's script, stylesheet and WASM bytes come from the Worker's static assets (wrangler.toml `[assets]`)
  const app = createAppCore(kernel, env.ASSETS ? { staticAssets: env.ASSETS } : {});
  return { app, warnings: config.warnings, auth: config.auth };
}

/** Exactly three distinct keys, or the isolate does not start. */
async function checkedPublisherKeys(text: string): Promise<Uint8Array[]> {
  try {
    const keys = parsePublisherKeys(text);
    await publisherKeySet(keys);
    return keys;
  } catch (e) {
    throw new Error(`KEE_PUBLISHER_KEYS: ${e instanceof Error ? e.message : String(e)}`);
  }
}

/** The Worker's `fetch` handler over one build: the kernel starts on the isolate's first request. */
export function createWorker(carried: WorkerBuild): { fetch(request: Request, env: WorkerEnv, ctx: unknown): Promise<Response> } {
  // cedar-wasm is instantiated once per isolate, whether at global scope or by the first start
  const build1: WorkerBuild = { keeModule: carried.keeModule, cedar: carried.cedar ? once(carried.cedar) : null };
  const early = prepareEarly(build1);
  const gate = recoveryGate({ quietMs: RECOVERY_QUIET_MS, maxMs: RECOVERY_MAX_MS });
  let ready: Promise<Built> | null = null;
  return {
    async fetch(request, env, ctx) {
      gate.enter();
      try {
        return await serve(request, env, ctx);
      } finally {
        gate.leave();
      }
    },
  };

  async function serve(request: Request, env: WorkerEnv, ctx: unknown): Promise<Response> {
    ready ??= build(env, build1, ctx as WaitUntil | undefined, early, gate).catch((e: unknown) => {
      ready = null; // the next request tries again (a D1 hiccup); a bad setting fails the same way
      throw e;
    });
    let built: Built;
    try {
      built = await ready;
    } catch (e) {
      const message = e instanceof Error ? e.message : String(e);
      console.error(`kee: cannot start: ${message}`);
      return misconfigured(message);
    }
    const url = new URL(request.url);
    if (built.auth === 'none' && !isLoopback(url.hostname)) return offLoopback(url.hostname);
    const res = await built.app.fetch(request, env, ctx as never);
    return url.pathname === '/healthz' ? withWarnings(res, built.warnings) : res;
  }
}
