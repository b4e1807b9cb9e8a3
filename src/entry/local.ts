/**
 * Composition shared by the Node, Bun and Deno entries: embedded libSQL under KEE_DATA_DIR (or
 * KEE_DATABASE_URL: a libSQL URL, or PostgreSQL for `postgres://` and `postgresql://`), the kernel
 * key file, both WASM modules read from disk, and OTLP export when OTEL_EXPORTER_OTLP_ENDPOINT is
 * set. Uses only `node:` APIs that all three runtimes provide.
 */
import { mkdir, readFile, writeFile, chmod } from 'node:fs/promises';
import { join } from 'node:path';
import process from 'node:process';
import { createClient } from '@libsql/client';
import * as cedar from '@cedar-policy/cedar-wasm/web';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import type { Hono } from 'hono';
import type { CedarApi } from '../adapters/cedar/cedar-api.ts';
import { DEFAULT_CAP_PROFILE } from '../adapters/cedar/default-profile.ts';
import { CedarPolicyEngine } from '../adapters/cedar/policy-engine.ts';
import { openLibsqlStore } from '../adapters/libsql/open-libsql.ts';
import { openWorkerLibsqlStore } from './open-worker-store.ts';
import { Ed25519Signer, ed25519Verifier } from '../adapters/noble/ed25519.ts';
import { createGovernanceTracing } from '../adapters/otel/telemetry.ts';
import { systemClock } from '../adapters/system/clock.ts';
import { initKeeWasm } from '../adapters/wasm/load.ts';
import { WasmMerkle } from '../adapters/wasm/merkle.ts';
import { createApp } from '../app.ts';
import { fromHex, toHex } from '../kernel/hex.ts';
import { Kernel } from '../kernel/kernel.ts';
import type { AuditStore } from '../ports/storage.ts';

export type LocalRuntime = 'node' | 'bun' | 'deno';

export type LocalKernel = { app: Hono; kernel: Kernel; port: number; shutdown: () => Promise<void> };

export async function buildLocalKernel(runtime: LocalRuntime): Promise<LocalKernel> {
  const port = Number(process.env.PORT ?? 8787);
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new Error(`PORT must be a port number, got \`${process.env.PORT}\``);
  const dataDir = process.env.KEE_DATA_DIR ?? './data';
  await mkdir(dataDir, { recursive: true });

  const wasm = initKeeWasm(await readFile(new URL('../../wasm/kee_wasm_bg.wasm', import.meta.url)));
  cedar.initSync({ module: await readFile(new URL('../../node_modules/@cedar-policy/cedar-wasm/web/cedar_wasm_bg.wasm', import.meta.url)) });
  const merkle = new WasmMerkle(wasm);

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

  const signer = new Ed25519Signer(await loadOrCreateKey(join(dataDir, 'kernel-ed25519.key')));
  const exporters = process.env.OTEL_EXPORTER_OTLP_ENDPOINT ? [{ exporter: new OTLPTraceExporter(), batch: true }] : [];
  const { telemetry, provider } = createGovernanceTracing({
    exporters,
    resource: { 'soos.governance.kernel_id': toHex(merkle.sha256(signer.publicKey())), 'soos.kee.runtime': runtime },
  });
  const policy = CedarPolicyEngine.load(cedar as unknown as CedarApi, DEFAULT_CAP_PROFILE, merkle);
  const kernel = new Kernel({ store, policy, signer, verifier: ed25519Verifier, merkle, clock: systemClock, telemetry, runtime, options: auditTuning });
  return {
    app: createApp(kernel),
    kernel,
    port,
    shutdown: async () => {
      await provider.shutdown();
      await closeStore();
    },
  };
}

/** Reads the kernel's Ed25519 seed (hex), creating it with mode 0600 on first start. */
async function loadOrCreateKey(path: string): Promise<Uint8Array> {
  try {
    const seed = fromHex((await readFile(path, 'utf8')).trim());
    if (!seed || seed.length !== 32) throw new Error(`kernel key file \`${path}\` is not 32 bytes of hex`);
    return seed;
  } catch (e) {
    if ((e as { code?: string }).code !== 'ENOENT') throw e;
    const seed = Ed25519Signer.generateSeed();
    await writeFile(path, `${toHex(seed)}\n`, { mode: 0o600, flag: 'wx' });
    await chmod(path, 0o600);
    return seed;
  }
}
