/**
 * Composition shared by the Node, Bun and Deno entries: embedded libSQL under KEE_DATA_DIR (or
 * KEE_DATABASE_URL: a libSQL URL, or PostgreSQL for `postgres://` and `postgresql://`), the kernel
 * signer (`signer-setup.ts`: FROST by default), both WASM modules read from disk, and OTLP
 * export when OTEL_EXPORTER_OTLP_ENDPOINT is set. The policy engine is `kee-policy` unless
 * KEE_POLICY_ENGINE=cedar-wasm. Uses only `node:` APIs that all three runtimes provide.
 * The configuration, the port and the data directory are checked before anything is created,
 * an embedded database is locked against a second kernel (`store-lock.ts`), and a failed start
 * is one line and exit code 1 (`startup-error.ts`; docs/configuration.md lists the variables).
 */
import { readFile } from 'node:fs/promises';
import process from 'node:process';
import * as cedar from '@cedar-policy/cedar-wasm/web';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import type { Hono } from 'hono';
import type { CedarApi } from '../adapters/cedar/cedar-api.ts';
import { DEFAULT_CAP_PROFILE } from '../adapters/cedar/default-profile.ts';
import { createPolicyInspector } from '../adapters/cedar/policy-inspector.ts';
import { joseJwsVerifier } from '../adapters/jose/jws.ts';
import { openLibsqlStore } from '../adapters/libsql/open-libsql.ts';
import { createLibsqlClient, isEmbeddedUrl } from '../adapters/libsql/client.ts';
import { openWorkerLibsqlStore } from './open-worker-store.ts';
import { ed25519Verifier } from '../adapters/noble/ed25519.ts';
import { createGovernanceTracing } from '../adapters/otel/telemetry.ts';
import { systemClock } from '../adapters/system/clock.ts';
import { nobleIntentHasher } from '../adapters/noble/blake2b.ts';
import { uuidXpidDeriver } from '../adapters/uuid/xpid.ts';
import { initKeeWasm } from '../adapters/wasm/load.ts';
import { WasmMerkle } from '../adapters/wasm/merkle.ts';
import { createApp } from '../app.ts';
import { toHex } from '../kernel/hex.ts';
import { Kernel } from '../kernel/kernel.ts';
import { CEDAR_WASM_MODULE, KEE_WASM_MODULE, KERNEL_VERSION } from './build-info.ts';
import type { AuditStore } from '../ports/storage.ts';
import type { ReplayStore } from '../ports/replay-store.ts';
import type { PolicyInspector } from '../ports/cap-profile.ts';
import { loadPublisherKeys } from './publisher-keys.ts';
import { loadOperatorVerifier } from './operator-keys.ts';
import { policyEngineFactory, policyEngineName, type PolicyEngineName } from './policy-engine.ts';
import { checkSignerEnv, setupSigner } from './signer-setup.ts';
import { loadTokenSeed, tokenSeedFromEnv } from './token-key.ts';
import { WorkerTokenSigner } from './worker-token-signer.ts';
import { JoseTokenSigner } from '../adapters/jose/token-signer.ts';
import { readAcdOptions } from './acd-config.ts';
import { readLocalConfig, type StoreConfig } from './local-config.ts';
import { readRevocationConfig } from './ssf-config.ts';
import { joseSetVerifier } from '../adapters/jose/set-verifier.ts';
import { checkPortFree, listenError, prepareDataDir } from './startup-checks.ts';
import { joseAgentProofs } from '../adapters/jose/agent-proofs.ts';
import { exitOnStartupError, StartupError, startupFailureLine } from './startup-error.ts';
import { readAllowNonconformant, readLifetimeConfig } from './lifetime-config.ts';
import { acquireStoreLock, describeHolder, type StoreLock } from './store-lock.ts';
import { EtcdGateway } from '../adapters/etcd/etcd-gateway.ts';
import { nodeEtcdTransport } from './etcd-transport.ts';
import type { ClusterConfig } from './local-config.ts';

export type LocalRuntime = 'node' | 'bun' | 'deno';

export type LocalKernel = { app: Hono; kernel: Kernel; port: number; host: string; dataDir: string; inspector: PolicyInspector; shutdown: () => Promise<void> };

/** `listen: false`: a kernel held in-process without an HTTP listener (`kee mcp-gateway`): PORT is not checked. */
export type LocalKernelOptions = {
  listen?: boolean;
  /**
   * Where an embedded libSQL file is served: `worker` (default; KEE_LIBSQL_WORKER=0 keeps it on
   * the main thread through `@libsql/client`) or `main`: on the main thread with the native
   * writer (`adapters/libsql/main-thread.ts`) and batches sent at the end of the event loop's
   * turn, for a process that makes few decisions at once (the embedded MCP gateway).
   */
  libsqlThread?: 'main' | 'worker';
  /**
   * Sign the credentials in a worker thread, batched per turn of the event loop
   * (`worker-token-signer.ts`), instead of one WebCrypto job each: the Node HTTP server's choice
   * (`node.ts`), where the main thread is the bottleneck under load.
   */
  signInWorker?: boolean;
};

/** The etcd client of the policy cluster; the certificate files are read now (a missing one stops the start). */
async function openEtcd(c: ClusterConfig): Promise<EtcdGateway> {
  let tls;
  if (c.tls) {
    const read = async (what: string, path: string) =>
      readFile(path).catch((e: unknown) => {
        throw new StartupError(`cannot start: ${what} \`${path}\`: ${e instanceof Error ? e.message : String(e)}`);
      });
    tls = { ca: await read('KEE_CLUSTER_ETCD_CA', c.tls.ca), cert: await read('KEE_CLUSTER_ETCD_CERT', c.tls.cert), key: await read('KEE_CLUSTER_ETCD_KEY', c.tls.key) };
  }
  return new EtcdGateway(c.endpoints, nodeEtcdTransport({ ...(tls ? { tls } : {}), timeoutMs: Math.max(250, Math.min(1_000, c.pollMs)) }));
}

/**
 * Builds the kernel, or stops the process with one line and exit code 1 when it cannot start
 * (`startup-error.ts`); a lock taken before the failure is released first.
 */
export async function buildLocalKernel(runtime: LocalRuntime, options: LocalKernelOptions = {}): Promise<LocalKernel> {
  const held: { lock: StoreLock | null } = { lock: null };
  try {
    return await build(runtime, held, options);
  } catch (e) {
    await held.lock?.release().catch(() => {});
    return exitOnStartupError(e);
  }
}

async function build(runtime: LocalRuntime, held: { lock: StoreLock | null }, options: LocalKernelOptions): Promise<LocalKernel> {
  // everything that can be checked is checked before anything is created: a failed start
  // leaves no key, database or directory behind (docs/configuration.md)
  const config = readLocalConfig(process.env);
  const acd = await readAcdOptions(process.env);
  const lifetimes = readLifetimeConfig(process.env);
  const allowNonconformant = readAllowNonconformant(process.env);
  const engine = policyEngineOrExit(process.env.KEE_POLICY_ENGINE);
  const revocation = readRevocationConfig(process.env);
  checkSignerEnv(process.env);
  tokenSeedFromEnv(process.env.KEE_TOKEN_KEY);
  if (options.listen !== false) await checkPortFree(config.host, config.port);
  // PostgreSQL is reached before the data directory is made; an embedded file after its lock
  const postgres = config.store.kind === 'postgres' ? await openStore(config.store) : null;
  const { dataDir } = config;
  await prepareDataDir(dataDir);
  // the embedded store is single-writer: a second kernel on the same file refuses to start
  const lock = config.store.kind === 'embedded' ? await acquireStoreLock(config.store.path, runtime) : null;
  held.lock = lock;
  // information, not an error (stdout): the OS released the lock when that process died
  if (lock?.tookOverFrom) console.log(`kee: taking over the lock \`${lock.path}\` of a kernel that stopped without shutting down (${describeHolder(lock.tookOverFrom)})`);
  // publisher keys before the embedded database and the signer: a bad KEE_PUBLISHER_KEYS stops
  // the start before a database file or a DKG (without it, the dev keys are made here)
  const publisherKeys = await loadPublisherKeys(process.env, dataDir, (line) => console.log(line)).catch((e: unknown) => {
    throw new StartupError(`cannot start: publisher keys: ${e instanceof Error ? e.message : String(e)}`);
  });
  // the operator key set likewise (without KEE_OPERATOR_JWKS, the dev operator key is made here)
  const operatorTokens = await loadOperatorVerifier(process.env, dataDir, (line) => console.log(line)).catch((e: unknown) => {
    throw new StartupError(`cannot start: operator keys: ${e instanceof Error ? e.message : String(e)}`);
  });
  const { store, close: closeStore, auditTuning, replayStore } = postgres ?? (await openStore(config.store, options.libsqlThread));

  const keeBytes = await readFile(new URL('../../wasm/kee_wasm_bg.wasm', import.meta.url));
  const cedarBytes = await readFile(new URL('../../node_modules/@cedar-policy/cedar-wasm/web/cedar_wasm_bg.wasm', import.meta.url));
  const wasm = initKeeWasm(keeBytes);
  cedar.initSync({ module: cedarBytes });
  const merkle = new WasmMerkle(wasm);
  // the manifest declares the hashes of the bytes actually loaded
  const wasmModules = { [KEE_WASM_MODULE]: toHex(merkle.sha256(keeBytes)), [CEDAR_WASM_MODULE]: toHex(merkle.sha256(cedarBytes)) };

  const signing = await setupSigner({ dataDir, wasm });
  const tokenSeed = await loadTokenSeed(process.env, dataDir);
  const tokens = options.signInWorker ? new WorkerTokenSigner(tokenSeed, new JoseTokenSigner(tokenSeed)) : new JoseTokenSigner(tokenSeed);
  const signer = signing.signer;
  const exporters = process.env.OTEL_EXPORTER_OTLP_ENDPOINT ? [{ exporter: new OTLPTraceExporter(), batch: true }] : [];
  const { telemetry, provider } = createGovernanceTracing({
    exporters,
    resource: { 'soos.governance.kernel_id': toHex(merkle.sha256(signer.publicKey())), 'soos.kee.runtime': runtime },
  });
  const policyFactory = policyEngineFactory(engine, { wasm, cedar: () => cedar as unknown as CedarApi, merkle });
  const policy = policyFactory.load(DEFAULT_CAP_PROFILE);
  const capProfile = {
    publisherKeys,
    jws: joseJwsVerifier,
    inspector: createPolicyInspector(cedar as unknown as CedarApi, wasm),
  };
  const etcd = config.cluster ? await openEtcd(config.cluster) : null;
  const cluster = etcd && config.cluster ? { consensus: etcd, options: { pollMs: config.cluster.pollMs, heartbeatTimeoutMs: config.cluster.heartbeatTimeoutMs, staleWindowMs: config.cluster.staleWindowMs } } : undefined;
  const kernel = new Kernel({ ...(cluster ? { cluster } : {}), store, policy, policyFactory, signer, verifier: ed25519Verifier, merkle, tokens, intentHasher: nobleIntentHasher, xpid: uuidXpidDeriver(), agentProofs: joseAgentProofs, ...(replayStore ? { replayStore } : {}), operatorTokens, clock: systemClock, telemetry, runtime, capProfile, manifest: { kernelVersion: KERNEL_VERSION, wasmModules, deployment: { store: config.store.kind === 'postgres' ? 'postgres' : 'libsql', signer: signing.kind }, ...(signing.attest ? { attest: signing.attest } : {}) }, alerts: signing.alerts, setVerifier: joseSetVerifier(), options: { ...auditTuning, signing: signing.options, auth: config.auth, hemTimeoutS: config.hemTimeoutS, revocation, acd, ...lifetimes, allowNonconformant } });
  await kernel.start();
  await signing.attach(kernel);
  kernel.startHousekeeping();
  // after a successful start only: a failed start stays one stderr line
  if (config.store.kind === 'libsql' && isEmbeddedUrl(config.store.url)) console.warn('kee: WARNING: KEE_DATABASE_URL is an in-memory database: the audit log, sessions and keys stored in it are lost when this process stops; for experiments only');
  if (config.auth === 'none') console.warn('kee: WARNING: KEE_AUTH=none: agents are not authenticated (any agent_id opens a session); for local experiments on loopback only, set KEE_AUTH=agents');
  return {
    app: createApp(kernel, { console: { wasm: keeBytes } }),
    kernel,
    port: config.port,
    host: config.host,
    dataDir,
    inspector: capProfile.inspector,
    shutdown: async () => {
      // the journal's open block is sealed while the signer is still up
      await kernel.shutdown();
      kernel.revocation.stop();
      etcd?.close();
      signing.close();
      await provider.shutdown();
      await closeStore();
      await lock?.release();
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

/** `replayStore`: the ids every kernel of a shared store has seen (PostgreSQL only; an embedded file has one kernel: its in-memory cache is enough). */
type OpenedStore = { store: AuditStore; close: () => unknown; auditTuning: { eagerBatch?: number }; replayStore?: ReplayStore };

async function openStore(config: StoreConfig, libsqlThread?: 'main' | 'worker'): Promise<OpenedStore> {
  const { url } = config;
  if (config.kind === 'postgres') {
    // loaded only when selected, so libSQL deployments never load the pg driver
    const [{ openPostgresStore }, { PostgresReplayStore }] = await Promise.all([import('../adapters/postgres/open-postgres.ts'), import('../adapters/postgres/replay-store.ts')]);
    const pg = await openPostgresStore(url).catch((e: unknown) => {
      throw new StartupError(`cannot use PostgreSQL at \`${config.display}\` (KEE_DATABASE_URL): ${rootCause(e)}: start the server, or correct KEE_DATABASE_URL`);
    });
    // other kernels may share this database: assertion and DPoP ids are claimed in it too (docs/identity.md "Replay caches")
    return { store: pg.store, close: pg.close, auditTuning: {}, replayStore: new PostgresReplayStore(pg.claims) };
  }
  // an embedded file only: `file::memory:` is a database per connection, so the writer thread and the
  // client would each see their own (it takes the one-connection path below)
  if (config.kind === 'embedded' && libsqlThread === 'main') {
    // no thread hand-off per store call: each commit (fsynced as in the worker) holds the event loop (docs/mcp.md "Speed")
    const { openMainThreadLibsqlStore } = await import('../adapters/libsql/main-thread.ts');
    const { store, close } = await openMainThreadLibsqlStore(url);
    return { store, close, auditTuning: { eagerBatch: 256 } };
  }
  if (config.kind === 'embedded' && process.env.KEE_LIBSQL_WORKER !== '0') {
    // embedded libSQL in a worker thread: SQLite and fsync off the event loop (bench/audit)
    // the gateway's worker-thread store (one call at a time) keeps sessions in memory; the HTTP kernel does not
    const { store, close } = await openWorkerLibsqlStore(url, { cacheSessions: libsqlThread === 'worker' });
    return { store, close, auditTuning: { eagerBatch: 256 } };
  }
  // a libSQL server, or an embedded file with KEE_LIBSQL_WORKER=0 (one connection, its settings: pragmas.ts)
  const client = createLibsqlClient(url, process.env.KEE_DATABASE_AUTH_TOKEN ? { authToken: process.env.KEE_DATABASE_AUTH_TOKEN } : {});
  const store = await openLibsqlStore(client, { embedded: isEmbeddedUrl(url) });
  return { store, close: () => client.close(), auditTuning: {} };
}

/** The innermost reason of a driver error, in words (`connection refused`, not a wrapper's message). */
function rootCause(e: unknown): string {
  let inner = e;
  for (let i = 0; i < 8 && inner instanceof Error && inner.cause !== undefined; i++) inner = inner.cause;
  if (inner instanceof AggregateError && inner.errors.length > 0) inner = inner.errors[0];
  const { code, message } = (inner ?? {}) as { code?: string; message?: string };
  const words: Record<string, string> = {
    ECONNREFUSED: 'connection refused',
    ENOTFOUND: 'unknown host',
    EAI_AGAIN: 'the host name cannot be resolved',
    ETIMEDOUT: 'the connection timed out',
    EHOSTUNREACH: 'the host is unreachable',
    '28P01': 'password authentication failed',
    '28000': 'the server refused this user',
    '3D000': 'the database does not exist',
  };
  return (code && words[code]) ?? message ?? String(inner);
}

/**
 * On SIGINT or SIGTERM: stop serving, shut the kernel down (the store lock is released) and
 * exit 0. Node, Bun and Deno all deliver these signals through `node:process`.
 */
export function stopOnSignals(local: LocalKernel, closeServer: () => unknown = () => {}): void {
  let stopping = false;
  const stop = () => {
    // a second signal (a process group's, relayed by tsx) must not cut the shutdown short
    if (stopping) return;
    stopping = true;
    closeServer();
    void local.shutdown().finally(() => process.exit(0));
  };
  for (const signal of ['SIGINT', 'SIGTERM'] as const) process.on(signal, stop);
}

/** A listen that failed after the start-up check (the port was taken in between): one line, exit 1. */
export function exitOnListenError(local: LocalKernel, e: unknown): Promise<never> {
  const line = startupFailureLine(listenError(e as NodeJS.ErrnoException, local.host, local.port));
  return local.shutdown().catch(() => {}).then(() => {
    console.error(line);
    return process.exit(1);
  });
}
