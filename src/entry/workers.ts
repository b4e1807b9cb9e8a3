/**
 * Cloudflare Workers (workerd) entry. Storage is D1 through drizzle (`wrangler dev` keeps it in
 * a local SQLite file under KEE_DATA_DIR); both WASM modules are imported as compiled modules.
 * Configuration comes from the Worker's bindings, never the shell (`worker-config.ts`,
 * docs/configuration.md): the kernel key from the `KEE_SIGNING_KEY` secret (32-byte hex seed;
 * without it an ephemeral key, warned about loudly and listed in `/healthz`), the policy
 * engine from `KEE_POLICY_ENGINE`. A malformed value answers 503 with one line to every request.
 * The manifest declares the WASM hashes recorded in build-info.ts (a compiled module's bytes
 * cannot be hashed here).
 */
import { joseAgentProofs } from '../adapters/jose/agent-proofs.ts';
import * as cedar from '@cedar-policy/cedar-wasm/web';
import { drizzle } from 'drizzle-orm/d1';
import type { Hono } from 'hono';
import cedarModule from '../../node_modules/@cedar-policy/cedar-wasm/web/cedar_wasm_bg.wasm';
import keeModule from '../../wasm/kee_wasm_bg.wasm';
import type { CedarApi } from '../adapters/cedar/cedar-api.ts';
import { DEFAULT_CAP_PROFILE } from '../adapters/cedar/default-profile.ts';
import { createPolicyInspector } from '../adapters/cedar/policy-inspector.ts';
import { joseJwsVerifier } from '../adapters/jose/jws.ts';
import { joseOperatorTokenVerifier } from '../adapters/jose/operator-tokens.ts';
import { migrate } from '../adapters/libsql/migrate.ts';
import { schema } from '../adapters/libsql/schema.ts';
import { SqliteAuditStore, type SqliteDb } from '../adapters/libsql/store.ts';
import { JoseTokenSigner } from '../adapters/jose/token-signer.ts';
import { nobleIntentHasher } from '../adapters/noble/blake2b.ts';
import { Ed25519Signer, ed25519Verifier } from '../adapters/noble/ed25519.ts';
import { uuidXpidDeriver } from '../adapters/uuid/xpid.ts';
import { createGovernanceTracing } from '../adapters/otel/telemetry.ts';
import { systemClock } from '../adapters/system/clock.ts';
import { initKeeWasm } from '../adapters/wasm/load.ts';
import { WasmMerkle } from '../adapters/wasm/merkle.ts';
import { createApp } from '../app.ts';
import { Kernel } from '../kernel/kernel.ts';
import { parsePublisherKeys } from '../kernel/cap-profile/publisher-keys.ts';
import { publisherKeySet } from '../kernel/cap-profile/verify-update.ts';
import { policyEngineFactory } from './policy-engine.ts';
import { misconfigured, readWorkerConfig, withWarnings, type WorkerEnv } from './worker-config.ts';
import { KERNEL_VERSION, WASM_MODULE_SHA256 } from './build-info.ts';

type Built = { app: Hono; warnings: string[] };

let ready: Promise<Built> | null = null;

async function build(env: WorkerEnv): Promise<Built> {
  const config = readWorkerConfig(env);
  // loud, once per isolate: these are the settings a Worker silently lacks otherwise
  for (const w of config.warnings) console.warn(`kee: WARNING: ${w}`);
  const capKeys = config.publisherKeys ? await checkedPublisherKeys(config.publisherKeys) : null;
  const wasm = initKeeWasm(keeModule);
  const merkle = new WasmMerkle(wasm);
  cedar.initSync({ module: cedarModule });
  const db = drizzle(env.DB as Parameters<typeof drizzle>[0], { schema }) as unknown as SqliteDb;
  await migrate(db);
  const signer = new Ed25519Signer(config.signingSeed ?? Ed25519Signer.generateSeed());
  const tokens = new JoseTokenSigner(config.tokenSeed ?? JoseTokenSigner.generateSeed());
  const { telemetry } = createGovernanceTracing({ exporters: [] });
  const policyFactory = policyEngineFactory(config.engine, { wasm, cedar: () => cedar as unknown as CedarApi, merkle });
  const policy = policyFactory.load(DEFAULT_CAP_PROFILE);
  // P4: without KEE_PUBLISHER_KEYS (no files to keep dev keys in) CAP Profile updates answer 503
  const capProfile = capKeys
    ? {
        publisherKeys: capKeys,
        jws: joseJwsVerifier,
        inspector: createPolicyInspector(cedar as unknown as CedarApi, wasm),
      }
    : undefined;
  const manifest = { kernelVersion: KERNEL_VERSION, wasmModules: WASM_MODULE_SHA256 };
  const kernel = new Kernel({ store: new SqliteAuditStore(db), policy, policyFactory, signer, verifier: ed25519Verifier, merkle, tokens, intentHasher: nobleIntentHasher, xpid: uuidXpidDeriver(), agentProofs: joseAgentProofs, clock: systemClock, telemetry, runtime: 'workerd', manifest, options: { groupCommit: false, auth: config.auth }, ...(capProfile ? { capProfile } : {}), ...(config.operators ? { operatorTokens: joseOperatorTokenVerifier(config.operators) } : {}) });
  await kernel.start();
  return { app: createApp(kernel), warnings: config.warnings };
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

export default {
  async fetch(request: Request, env: WorkerEnv, ctx: unknown): Promise<Response> {
    ready ??= build(env).catch((e: unknown) => {
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
    const res = await built.app.fetch(request, env, ctx as never);
    return new URL(request.url).pathname === '/healthz' ? withWarnings(res, built.warnings) : res;
  },
};
