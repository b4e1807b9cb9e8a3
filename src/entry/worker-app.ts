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
import { Ed25519Signer, ed25519Verifier } from '../adapters/noble/ed25519.ts';
import { createGovernanceTracing } from '../adapters/otel/telemetry.ts';
import { uuidXpidDeriver } from '../adapters/uuid/xpid.ts';
import { systemClock } from '../adapters/system/clock.ts';
import { initKeeWasmWorker } from '../adapters/wasm/load-worker.ts';
import { WasmMerkle } from '../adapters/wasm/merkle.ts';
import { createApp } from '../app.ts';
import { Kernel } from '../kernel/kernel.ts';
import { parsePublisherKeys } from '../kernel/cap-profile/publisher-keys.ts';
import { publisherKeySet } from '../kernel/cap-profile/verify-update.ts';
import { policyEngineFactory } from './policy-engine.ts';
import { isLoopback } from './loopback.ts';
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

async function build(env: WorkerEnv, carried: WorkerBuild, ctx: WaitUntil | undefined): Promise<Built> {
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
  const { telemetry } = createGovernanceTracing({ exporters: [] });
  const policyFactory = policyEngineFactory(config.engine, {
    wasm,
    cedar: () => {
      if (!cedar) throw new Error(NO_CEDAR_BUILD);
      return cedar;
    },
    merkle,
  });
  const policy = policyFactory.load(DEFAULT_CAP_PROFILE);
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
  const kernel = new Kernel({ store: new SqliteAuditStore(db), policy, policyFactory, signer, verifier: ed25519Verifier, merkle, tokens, intentHasher: nobleIntentHasher, xpid: uuidXpidDeriver(), agentProofs: joseAgentProofs, clock: systemClock, telemetry, runtime: 'workerd', manifest, options: { groupCommit: false, deferRecovery: true, auth: config.auth, acd: config.acd }, ...(capProfile ? { capProfile } : {}), ...(config.operators ? { operatorTokens: joseOperatorTokenVerifier(config.operators) } : {}) });
  await kernel.start();
  timings.step('kernel start');
  // what an earlier isolate left behind is recovered beside the first request, which it may outlive
  ctx?.waitUntil?.(kernel.recovered());
  if (config.startupTimings) console.info(timings.line());
  // the Verify page's WASM bytes come from the Worker's static assets (wrangler.toml `[assets]`)
  const app = createApp(kernel, env.ASSETS ? { console: { wasmAsset: env.ASSETS } } : {});
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
  let ready: Promise<Built> | null = null;
  return {
    async fetch(request, env, ctx) {
      ready ??= build(env, carried, ctx as WaitUntil | undefined).catch((e: unknown) => {
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
    },
  };
}
