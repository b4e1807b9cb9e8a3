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
};

type Env = Record<string, string | undefined>;

export function readLocalConfig(env: Env): LocalConfig {
  const host = env.KEE_HOST?.trim() || '127.0.0.1';
  return { port: readPort(env.PORT), host, dataDir: readDataDir(env.KEE_DATA_DIR), store: readStore(env), auth: readAuth(env.KEE_AUTH, host), hemTimeoutS: readHemTimeout(env.KEE_HEM_TIMEOUT_S) };
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
