/**
 * Composition shared by the Node, Bun and Deno entries: embedded libSQL under KEE_DATA_DIR (or
 * KEE_DATABASE_URL: a libSQL URL, or PostgreSQL for `postgres://` and `postgresql://`), the kernel
 * signer (`signer-setup.ts`: FROST by default), both WASM modules read from disk, and OTLP
 * export when OTEL_EXPORTER_OTLP_ENDPOINT is set. The policy engine is `kee-policy` unless
 * KEE_POLICY_ENGINE=cedar-wasm. Uses only `node:` APIs that all three runtimes provide.
 */
import { mkdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import process from 'node:process';
import { createClient } from '@libsql/client';
import * as cedar from '@cedar-policy/cedar-wasm/web';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import type { Hono } from 'hono';
import type { CedarApi } from '../adapters/cedar/cedar-api.ts';
import { DEFAULT_CAP_PROFILE } from '../adapters/cedar/default-profile.ts';
import { createPolicyInspector } from '../adapters/cedar/policy-inspector.ts';
import { joseJwsVerifier } from '../adapters/jose/jws.ts';
import { openLibsqlStore } from '../adapters/libsql/open-libsql.ts';
import { openWorkerLibsqlStore } from './open-worker-store.ts';
import { ed25519Verifier } from '../adapters/noble/ed25519.ts';
import { createGovernanceTracing } from '../adapters/otel/telemetry.ts';
import { systemClock } from '../adapters/system/clock.ts';
import { initKeeWasm } from '../adapters/wasm/load.ts';
import { WasmMerkle } from '../adapters/wasm/merkle.ts';
import { createApp } from '../app.ts';
import { toHex } from '../kernel/hex.ts';
import { Kernel } from '../kernel/kernel.ts';
import { CEDAR_WASM_MODULE, KEE_WASM_MODULE, KERNEL_VERSION } from './build-info.ts';
import type { AuditStore } from '../ports/storage.ts';
import { publisherKeysOrExit } from './publisher-keys.ts';
import { policyEngineFactory, policyEngineName, type PolicyEngineName } from './policy-engine.ts';
import { exitOnConfigError, setupSigner } from './signer-setup.ts';

export type LocalRuntime = 'node' | 'bun' | 'deno';

export type LocalKernel = { app: Hono; kernel: Kernel; port: number; shutdown: () => Promise<void> };

export async function buildLocalKernel(runtime: LocalRuntime): Promise<LocalKernel> {
  const port = Number(process.env.PORT ?? 8787);
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new Error(`PORT must be a port number, got \`${process.env.PORT}\``);
  const engine = policyEngineOrExit(process.env.KEE_POLICY_ENGINE);
  const dataDir = process.env.KEE_DATA_DIR ?? './data';
  await mkdir(dataDir, { recursive: true });

  const keeBytes = await readFile(new URL('../../wasm/kee_wasm_bg.wasm', import.meta.url));
  const cedarBytes = await readFile(new URL('../../node_modules/@cedar-policy/cedar-wasm/web/cedar_wasm_bg.wasm', import.meta.url));
  const wasm = initKeeWasm(keeBytes);
  cedar.initSync({ module: cedarBytes });
  const merkle = new WasmMerkle(wasm);
  // the manifest declares the hashes of the bytes actually loaded
  const wasmModules = { [KEE_WASM_MODULE]: toHex(merkle.sha256(keeBytes)), [CEDAR_WASM_MODULE]: toHex(merkle.sha256(cedarBytes)) };

  const url = process.env.KEE_DATABASE_URL ?? `file:${join(dataDir, 'kee.db')}`;
  let store: AuditStore;
  let closeStore: () => unknown;
  let auditTuning = {};
  if (/^postgres(ql)?:\/\//.test(url)) {
    // loaded only when selected, so libSQL deployments never load the pg driver
    const { openPostgresStore } = await import('../adapters/postgres/open-postgres.ts');
    const pg = await openPostgresStore(url);
    store = pg.store;
    closeStore = pg.close;
  } else if (url.startsWith('file:') && process.env.KEE_LIBSQL_WORKER !== '0') {
    // embedded libSQL in a worker thread: SQLite and fsync off the event loop (bench/audit)
    ({ store, close: closeStore } = await openWorkerLibsqlStore(url));
    auditTuning = { eagerBatch: 256 };
  } else {
    const client = createClient({ url, ...(process.env.KEE_DATABASE_AUTH_TOKEN ? { authToken: process.env.KEE_DATABASE_AUTH_TOKEN } : {}) });
    store = await openLibsqlStore(client, { embedded: url.startsWith('file:') });
    closeStore = () => client.close();
  }

  const signing = await setupSigner({ dataDir, wasm }).catch(exitOnConfigError);
  const signer = signing.signer;
  const exporters = process.env.OTEL_EXPORTER_OTLP_ENDPOINT ? [{ exporter: new OTLPTraceExporter(), batch: true }] : [];
  const { telemetry, provider } = createGovernanceTracing({
    exporters,
    resource: { 'soos.governance.kernel_id': toHex(merkle.sha256(signer.publicKey())), 'soos.kee.runtime': runtime },
  });
  const policyFactory = policyEngineFactory(engine, { wasm, cedar: () => cedar as unknown as CedarApi, merkle });
  const policy = policyFactory.load(DEFAULT_CAP_PROFILE);
  const capProfile = {
    publisherKeys: await publisherKeysOrExit(dataDir),
    jws: joseJwsVerifier,
    inspector: createPolicyInspector(cedar as unknown as CedarApi, wasm),
  };
  const kernel = new Kernel({ store, policy, policyFactory, signer, verifier: ed25519Verifier, merkle, clock: systemClock, telemetry, runtime, capProfile, manifest: { kernelVersion: KERNEL_VERSION, wasmModules }, alerts: signing.alerts, options: { ...auditTuning, signing: signing.options } });
  await kernel.start();
  await signing.attach(kernel);
  return {
    app: createApp(kernel),
    kernel,
    port,
    shutdown: async () => {
      signing.close();
      await provider.shutdown();
      await closeStore();
    },
  };
}

/** The engine KEE_POLICY_ENGINE names; an unknown name stops the process with a clear message (exit 2), no stack trace. */
function policyEngineOrExit(value: string | undefined): PolicyEngineName {
  try {
    return policyEngineName(value);
  } catch (e) {
    console.error(`kee: ${e instanceof Error ? e.message : String(e)}`);
    process.exit(2);
  }
}
