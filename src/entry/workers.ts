/**
 * Cloudflare Workers (workerd) entry. Storage is D1 through drizzle (`wrangler dev` keeps it in
 * a local SQLite file under KEE_DATA_DIR); both WASM modules are imported as compiled modules.
 * The kernel key comes from the `KEE_SIGNING_KEY` secret (32-byte hex seed); the policy engine
 * is `kee-policy` unless the `KEE_POLICY_ENGINE` var says `cedar-wasm`. The manifest declares
 * the WASM hashes recorded in build-info.ts (a compiled module's bytes cannot be hashed here).
 */
import * as cedar from '@cedar-policy/cedar-wasm/web';
import { drizzle } from 'drizzle-orm/d1';
import type { Hono } from 'hono';
import cedarModule from '../../node_modules/@cedar-policy/cedar-wasm/web/cedar_wasm_bg.wasm';
import keeModule from '../../wasm/kee_wasm_bg.wasm';
import type { CedarApi } from '../adapters/cedar/cedar-api.ts';
import { DEFAULT_CAP_PROFILE } from '../adapters/cedar/default-profile.ts';
import { createPolicyInspector } from '../adapters/cedar/policy-inspector.ts';
import { joseJwsVerifier } from '../adapters/jose/jws.ts';
import { migrate } from '../adapters/libsql/migrate.ts';
import { schema } from '../adapters/libsql/schema.ts';
import { SqliteAuditStore, type SqliteDb } from '../adapters/libsql/store.ts';
import { Ed25519Signer, ed25519Verifier } from '../adapters/noble/ed25519.ts';
import { createGovernanceTracing } from '../adapters/otel/telemetry.ts';
import { systemClock } from '../adapters/system/clock.ts';
import { initKeeWasm } from '../adapters/wasm/load.ts';
import { WasmMerkle } from '../adapters/wasm/merkle.ts';
import { createApp } from '../app.ts';
import { fromHex } from '../kernel/hex.ts';
import { Kernel } from '../kernel/kernel.ts';
import { parsePublisherKeys } from '../kernel/cap-profile/publisher-keys.ts';
import { publisherKeySet } from '../kernel/cap-profile/verify-update.ts';
import { policyEngineFactory, policyEngineName } from './policy-engine.ts';
import { KERNEL_VERSION, WASM_MODULE_SHA256 } from './build-info.ts';

type Env = { DB: unknown; KEE_SIGNING_KEY?: string; KEE_PUBLISHER_KEYS?: string; KEE_POLICY_ENGINE?: string };

let ready: Promise<Hono> | null = null;

async function build(env: Env): Promise<Hono> {
  const engine = policyEngineName(env.KEE_POLICY_ENGINE);
  const wasm = initKeeWasm(keeModule);
  const merkle = new WasmMerkle(wasm);
  cedar.initSync({ module: cedarModule });
  const db = drizzle(env.DB as Parameters<typeof drizzle>[0], { schema }) as unknown as SqliteDb;
  await migrate(db);
  const seed = env.KEE_SIGNING_KEY ? fromHex(env.KEE_SIGNING_KEY.trim()) : null;
  if (env.KEE_SIGNING_KEY && (!seed || seed.length !== 32)) throw new Error('KEE_SIGNING_KEY must be 32 bytes of lowercase hex');
  if (!seed) console.warn('KEE_SIGNING_KEY is not set: using an ephemeral kernel key for this isolate');
  const signer = new Ed25519Signer(seed ?? Ed25519Signer.generateSeed());
  const { telemetry } = createGovernanceTracing({ exporters: [] });
  const policyFactory = policyEngineFactory(engine, { wasm, cedar: () => cedar as unknown as CedarApi, merkle });
  const policy = policyFactory.load(DEFAULT_CAP_PROFILE);
  // P4: without KEE_PUBLISHER_KEYS (no files to keep dev keys in) CAP Profile updates answer 503
  const capProfile = env.KEE_PUBLISHER_KEYS
    ? {
        publisherKeys: await checkedPublisherKeys(env.KEE_PUBLISHER_KEYS),
        jws: joseJwsVerifier,
        inspector: createPolicyInspector(cedar as unknown as CedarApi, wasm),
      }
    : undefined;
  const manifest = { kernelVersion: KERNEL_VERSION, wasmModules: WASM_MODULE_SHA256 };
  const kernel = new Kernel({ store: new SqliteAuditStore(db), policy, policyFactory, signer, verifier: ed25519Verifier, merkle, clock: systemClock, telemetry, runtime: 'workerd', manifest, options: { groupCommit: false }, ...(capProfile ? { capProfile } : {}) });
  await kernel.start();
  return createApp(kernel);
}

/** Exactly three distinct keys, or the isolate does not start. */
async function checkedPublisherKeys(text: string): Promise<Uint8Array[]> {
  const keys = parsePublisherKeys(text);
  await publisherKeySet(keys);
  return keys;
}

export default {
  async fetch(request: Request, env: Env, ctx: unknown): Promise<Response> {
    ready ??= build(env).catch((e: unknown) => {
      ready = null;
      throw e;
    });
    const app = await ready;
    return app.fetch(request, env, ctx as never);
  },
};
