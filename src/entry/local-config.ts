/**
 * The start-up configuration of the Node, Bun and Deno entries, read and checked before
 * anything is created: a bad value stops the start with one line (StartupError), with no
 * key, database or directory made first. docs/configuration.md lists every variable.
 */
import { expandConfig } from '@libsql/core/config';
import { join, resolve } from 'node:path';
import { isLoopback } from './loopback.ts';
import { StartupError } from './startup-error.ts';

export type StoreConfig =
  | { kind: 'postgres'; url: string; display: string }
  /** An embedded libSQL file: the single-writer lock sits beside `path`. */
  | { kind: 'embedded'; url: string; path: string }
  /** A libSQL server (`libsql://`, `http(s)://`, `ws(s)://`), or an in-memory database. */
  | { kind: 'libsql'; url: string };

export type LocalConfig = {
  port: number;
  host: string;
  dataDir: string;
  store: StoreConfig;
  /** KEE_AUTH: `agents` (client assertions, DPoP) or `none` (loopback only). */
  auth: 'agents' | 'none';
  /** KEE_HEM_TIMEOUT_S: seconds a human escalation waits for an approver (default 900). */
  hemTimeoutS: number;
  /** KEE_CLUSTER_ETCD and friends: the policy cluster, or null for a single kernel. */
  cluster: ClusterConfig | null;
};

export type ClusterConfig = {
  endpoints: string[];
  /** KEE_CLUSTER_ETCD_CA / _CERT / _KEY: files, for https endpoints (mutual TLS). */
  tls: { ca: string; cert: string; key: string } | null;
  pollMs: number;
  heartbeatTimeoutMs: number;
  staleWindowMs: number;
};

type Env = Record<string, string | undefined>;

export function readLocalConfig(env: Env): LocalConfig {
  const host = env.KEE_HOST?.trim() || '127.0.0.1';
  return { port: readPort(env.PORT), host, dataDir: readDataDir(env.KEE_DATA_DIR), store: readStore(env), auth: readAuth(env.KEE_AUTH, host), hemTimeoutS: readHemTimeout(env.KEE_HEM_TIMEOUT_S), cluster: readCluster(env) };
}

/** The policy cluster (docs/cluster.md): etcd client URLs, all http or all https (then with a client certificate). */
export function readCluster(env: Env): ClusterConfig | null {
  const raw = env.KEE_CLUSTER_ETCD?.trim();
  const files = { ca: env.KEE_CLUSTER_ETCD_CA?.trim(), cert: env.KEE_CLUSTER_ETCD_CERT?.trim(), key: env.KEE_CLUSTER_ETCD_KEY?.trim() };
  if (!raw) {
    if (files.ca || files.cert || files.key) throw new StartupError('KEE_CLUSTER_ETCD_CA/_CERT/_KEY are set but KEE_CLUSTER_ETCD is not: set the etcd endpoints, or unset them');
    return null;
  }
  const endpoints = raw.split(',').map((e) => e.trim()).filter((e) => e !== '');
  const schemes = new Set<string>();
  for (const e of endpoints) {
    let u: URL;
    try {
      u = new URL(e);
    } catch {
      throw new StartupError(`KEE_CLUSTER_ETCD: \`${e}\` is not a URL: give comma-separated etcd client URLs, e.g. https://10.0.0.1:2379,https://10.0.0.2:2379,https://10.0.0.3:2379`);
    }
    if (u.protocol !== 'http:' && u.protocol !== 'https:') throw new StartupError(`KEE_CLUSTER_ETCD: \`${e}\` must be an http:// or https:// etcd client URL`);
    schemes.add(u.protocol);
  }
  if (schemes.size > 1) throw new StartupError('KEE_CLUSTER_ETCD mixes http:// and https:// endpoints: use one scheme for every member');
  const secure = schemes.has('https:');
  const given = [files.ca, files.cert, files.key].filter((f) => f).length;
  if (secure && given !== 3) throw new StartupError('KEE_CLUSTER_ETCD uses https: set KEE_CLUSTER_ETCD_CA, KEE_CLUSTER_ETCD_CERT and KEE_CLUSTER_ETCD_KEY (mutual TLS)');
  if (!secure && given > 0) throw new StartupError('KEE_CLUSTER_ETCD_CA/_CERT/_KEY need https:// endpoints in KEE_CLUSTER_ETCD');
  const staleWindowMs = readMs(env, 'KEE_CLUSTER_STALE_WINDOW_MS', 30_000);
  const pollMs = readMs(env, 'KEE_CLUSTER_POLL_MS', Math.min(1_000, staleWindowMs));
  if (pollMs > staleWindowMs) throw new StartupError(`KEE_CLUSTER_POLL_MS (${pollMs}) must not exceed KEE_CLUSTER_STALE_WINDOW_MS (${staleWindowMs})`);
  return {
    endpoints,
    tls: secure ? { ca: files.ca as string, cert: files.cert as string, key: files.key as string } : null,
    pollMs,
    heartbeatTimeoutMs: readMs(env, 'KEE_CLUSTER_HEARTBEAT_TIMEOUT_MS', 10_000),
    staleWindowMs,
  };
}

function readMs(env: Env, name: string, fallback: number): number {
  const v = env[name]?.trim();
  if (v === undefined || v === '') return fallback;
  if (!/^\d{1,9}$/.test(v) || Number(v) < 1) throw new StartupError(`${name} must be a whole number of milliseconds (at least 1), got \`${env[name]}\``);
  return Number(v);
}

/** KEE_HEM_TIMEOUT_S: whole seconds from 1 to 604800 (7 days); default 900. */
function readHemTimeout(value: string | undefined): number {
  if (value === undefined || value.trim() === '') return 900;
  const v = value.trim();
  if (!/^\d{1,6}$/.test(v) || Number(v) < 1 || Number(v) > 604_800) throw new StartupError(`KEE_HEM_TIMEOUT_S must be whole seconds from 1 to 604800, got \`${value}\`: unset it for the default 900`);
  return Number(v);
}

/** KEE_AUTH (default `agents`): `none` only on a loopback address, where no other machine can reach the kernel. */
function readAuth(value: string | undefined, host: string): 'agents' | 'none' {
  const v = value?.trim() || 'agents';
  if (v !== 'agents' && v !== 'none') throw new StartupError(`KEE_AUTH must be \`agents\` or \`none\`, got \`${value}\``);
  if (v === 'none' && !isLoopback(host)) throw new StartupError(`KEE_AUTH=none is refused off loopback (KEE_HOST=${host}): any caller could act as any agent; set KEE_AUTH=agents, or KEE_HOST=127.0.0.1`);
  return v;
}

export { isLoopback };

function readPort(value: string | undefined): number {
  if (value === undefined || value.trim() === '') return 8787;
  const v = value.trim();
  if (!/^\d{1,5}$/.test(v) || Number(v) > 65535) throw new StartupError(`PORT must be a port number from 0 to 65535, got \`${value}\`: set PORT=8787, or another free port`);
  return Number(v);
}

function readDataDir(value: string | undefined): string {
  if (value === undefined) return './data';
  if (value.trim() === '') throw new StartupError('KEE_DATA_DIR is empty: unset it (default `./data`) or name a directory');
  return value;
}

function readStore(env: Env): StoreConfig {
  const dataDir = readDataDir(env.KEE_DATA_DIR);
  const url = env.KEE_DATABASE_URL?.trim() || `file:${join(dataDir, 'kee.db')}`;
  if (/^postgres(ql)?:\/\//i.test(url)) return { kind: 'postgres', url, display: postgresDisplay(url) };
  let config: ReturnType<typeof expandConfig>;
  try {
    config = expandConfig({ url }, true);
  } catch {
    throw new StartupError(`KEE_DATABASE_URL \`${redact(url)}\` is not a database URL Kee can open: use file:<path>, libsql://…, http(s)://… or postgres://…`);
  }
  if (config.scheme === 'file') {
    if (config.path === ':memory:' || config.path === '') return { kind: 'libsql', url };
    return { kind: 'embedded', url, path: resolve(config.path) };
  }
  return { kind: 'libsql', url };
}

/** `host:port/database` of a PostgreSQL URL, never the password. */
export function postgresDisplay(url: string): string {
  try {
    const u = new URL(url);
    return `${u.hostname || 'localhost'}:${u.port || '5432'}${u.pathname}`;
  } catch {
    throw new StartupError('KEE_DATABASE_URL is not a valid postgres:// URL');
  }
}

/** The URL without user information (a password must not reach a log line). */
function redact(url: string): string {
  return url.replace(/\/\/[^/@]*@/, '//…@');
}
