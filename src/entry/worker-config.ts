/**
 * The configuration of the workerd entry, read from the Worker's `env` bindings. A Worker never
 * sees the shell's environment: variables come from `[vars]` in wrangler.toml, `.dev.vars` (or
 * `.env`) and `--var` for `wrangler dev`, and `wrangler secret put` once deployed
 * (docs/configuration.md). So that nothing is ignored silently:
 *
 * - a malformed value stops the Worker: every request answers 503 with one line saying what to fix;
 * - a missing KEE_SIGNING_KEY (an ephemeral key: the kernel identity and the checkpoint origin
 *   change at every isolate start), KEE_TOKEN_KEY (an ephemeral credential key) or KEE_PUBLISHER_KEYS, and any other `KEE_*` variable the
 *   Worker does not read (KEE_DATA_DIR, KEE_SIGNER, …), are warnings: logged once per isolate
 *   and listed under `warnings` in `GET /healthz`.
 */
import type { JSONWebKeySet } from 'jose';
import { checkJwks } from '../adapters/jose/operator-tokens.ts';
import { fromHex } from '../kernel/hex.ts';
import { DomainError } from '../kernel/errors.ts';
import { problemParts } from '../http/errors.ts';
import type { AcdOptions } from '../kernel/acd/acd-record.ts';
import { acdOptionsFrom } from './acd-settings.ts';
import { policyEngineName, type PolicyEngineName } from './policy-engine.ts';

export type WorkerEnv = { DB?: unknown; ASSETS?: { fetch(request: Request): Promise<Response> }; KEE_SIGNING_KEY?: unknown; KEE_TOKEN_KEY?: unknown; KEE_PUBLISHER_KEYS?: unknown; KEE_POLICY_ENGINE?: unknown; KEE_OPERATOR_JWKS?: unknown } & Record<string, unknown>;

export type WorkerConfig = {
  engine: PolicyEngineName;
  /** The kernel key's 32-byte seed, or null for an ephemeral key. */
  signingSeed: Uint8Array | null;
  /** The credential token key's 32-byte seed, or null for an ephemeral key. */
  tokenSeed: Uint8Array | null;
  /** KEE_PUBLISHER_KEYS as given, or null (CAP Profile updates then answer 503). */
  publisherKeys: string | null;
  /**
   * Operator tokens (the agent registry): KEE_OPERATOR_JWKS as a JWKS (JSON text), with
   * KEE_OPERATOR_ISSUER / KEE_OPERATOR_AUDIENCE; null when unset (those routes answer 503: a
   * Worker has no files to keep a development key in).
   */
  operators: { jwks: JSONWebKeySet; issuer?: string; audience?: string } | null;
  warnings: string[];
  /** KEE_AUTH: `agents` (client assertions, DPoP; the default) or `none` (local experiments). */
  auth: 'agents' | 'none';
  /** KEE_ACD_MANIFEST_MAX_AGE, KEE_ACD_VALIDITY, KEE_ACD_PROFILE (JSON text here): the ACD handshake (docs/acd.md). */
  acd: AcdOptions;
  /** KEE_STARTUP_TIMINGS=1: log the isolate's cold path split into steps, once (docs/edge.md). */
  startupTimings: boolean;
};

/** The variables the workerd entry reads; any other `KEE_*` binding is reported as ignored. */
export const WORKER_VARIABLES = ['KEE_SIGNING_KEY', 'KEE_TOKEN_KEY', 'KEE_PUBLISHER_KEYS', 'KEE_POLICY_ENGINE', 'KEE_OPERATOR_JWKS', 'KEE_OPERATOR_ISSUER', 'KEE_OPERATOR_AUDIENCE', 'KEE_AUTH', 'KEE_ACD_MANIFEST_MAX_AGE', 'KEE_ACD_VALIDITY', 'KEE_ACD_PROFILE', 'KEE_STARTUP_TIMINGS'] as const;

const HOW = 'a Worker does not see shell variables: set it in .dev.vars or with --var for `wrangler dev`, with `wrangler secret put` once deployed';

/** KEE_AUTH=none on workerd: the Worker cannot see where it listens, so it checks each request's host. */
const OFF_LOOPBACK_WARNING = 'KEE_AUTH=none: agents are not authenticated (any agent_id opens a session); for local experiments only: requests that do not come to a loopback host are refused (403), set KEE_AUTH=agents';

/** Under KEE_AUTH=none, the answer to a request whose URL host is not loopback (`wrangler dev --ip 0.0.0.0`, a deployed Worker). */
export function offLoopback(host: string): Response {
  const p = problemParts(new DomainError('FORBIDDEN', `KEE_AUTH=none is refused off loopback (host ${host}): any caller could act as any agent; set KEE_AUTH=agents`));
  return new Response(p.body, { status: p.status, headers: p.headers });
}

/** Reads and checks the bindings; throws an Error with a one-line message for a malformed value. */
export function readWorkerConfig(env: WorkerEnv): WorkerConfig {
  const warnings: string[] = [];
  if (env.DB === undefined) throw new Error('the D1 binding `DB` is missing: declare it under [[d1_databases]] in wrangler.toml');
  const engine = policyEngineName(text(env, 'KEE_POLICY_ENGINE'));
  const key = text(env, 'KEE_SIGNING_KEY')?.trim();
  let signingSeed: Uint8Array | null = null;
  if (key) {
    signingSeed = fromHex(key.toLowerCase());
    if (!signingSeed || signingSeed.length !== 32) throw new Error('KEE_SIGNING_KEY must be 64 hex characters (a 32-byte Ed25519 seed)');
  } else {
    warnings.push(`KEE_SIGNING_KEY is not set: this isolate signs with an ephemeral key, so the kernel identity and the checkpoint origin change at every restart (${HOW})`);
  }
  const token = text(env, 'KEE_TOKEN_KEY')?.trim();
  let tokenSeed: Uint8Array | null = null;
  if (token) {
    tokenSeed = fromHex(token.toLowerCase());
    if (!tokenSeed || tokenSeed.length !== 32) throw new Error('KEE_TOKEN_KEY must be 64 hex characters (a 32-byte Ed25519 seed)');
  } else {
    warnings.push(`KEE_TOKEN_KEY is not set: this isolate signs credentials with an ephemeral token key, so credentials it issued stop verifying (unknown \`kid\`) at every restart (${HOW})`);
  }
  const publisherKeys = text(env, 'KEE_PUBLISHER_KEYS')?.trim() || null;
  if (!publisherKeys) warnings.push(`KEE_PUBLISHER_KEYS is not set: CAP Profile updates (PUT /v1/cap-profile) answer 503 (${HOW})`);
  const ignored = Object.keys(env)
    .filter((k) => k.startsWith('KEE_') && !(WORKER_VARIABLES as readonly string[]).includes(k))
    .sort();
  if (ignored.length > 0) warnings.push(`${ignored.join(', ')} ${ignored.length === 1 ? 'is' : 'are'} not read on workerd and ${ignored.length === 1 ? 'has' : 'have'} no effect (it reads ${WORKER_VARIABLES.join(', ')})`);
  const auth = text(env, 'KEE_AUTH')?.trim() || 'agents';
  if (auth !== 'agents' && auth !== 'none') throw new Error(`KEE_AUTH must be \`agents\` or \`none\`, got \`${auth}\``);
  if (auth === 'none') warnings.push(OFF_LOOPBACK_WARNING);
  const acdProfile = text(env, 'KEE_ACD_PROFILE')?.trim();
  const acd = acdOptionsFrom({ maxAge: text(env, 'KEE_ACD_MANIFEST_MAX_AGE'), validity: text(env, 'KEE_ACD_VALIDITY') }, acdProfile ? { text: acdProfile, where: 'KEE_ACD_PROFILE (JSON text on workerd)' } : undefined);
  const timings = text(env, 'KEE_STARTUP_TIMINGS')?.trim() || '0';
  if (timings !== '0' && timings !== '1') throw new Error(`KEE_STARTUP_TIMINGS must be \`0\` or \`1\`, got \`${timings}\``);
  return { engine, signingSeed, tokenSeed, publisherKeys, operators: readOperators(env), warnings, auth, acd, startupTimings: timings === '1' };
}

/**
 * KEE_OPERATOR_JWKS (the operators' JWKS as JSON text) and the claims every token must carry.
 * Not a URL: a key set fetched and cached by one request would be awaited by others, which
 * workerd forbids (as it forbids group commit), so the keys are configured, not fetched.
 */
function readOperators(env: WorkerEnv): WorkerConfig['operators'] {
  const value = text(env, 'KEE_OPERATOR_JWKS')?.trim();
  if (!value) return null;
  let parsed: unknown;
  try {
    parsed = JSON.parse(value);
  } catch {
    throw new Error('KEE_OPERATOR_JWKS must be a JWKS as JSON text (`{"keys":[…]}`): a Worker neither reads files nor fetches key sets');
  }
  let jwks: JSONWebKeySet;
  try {
    jwks = checkJwks(parsed);
  } catch (e) {
    throw new Error(`KEE_OPERATOR_JWKS: ${(e as Error).message}`);
  }
  const issuer = text(env, 'KEE_OPERATOR_ISSUER')?.trim();
  const audience = text(env, 'KEE_OPERATOR_AUDIENCE')?.trim();
  return { jwks, ...(issuer ? { issuer } : {}), ...(audience ? { audience } : {}) };
}

function text(env: WorkerEnv, name: string): string | undefined {
  const v = env[name];
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'string') throw new Error(`${name} must be a string variable, got a ${typeof v} (declare it as a string in [vars], or as a secret)`);
  return v;
}

/** `GET /healthz` with the configuration warnings added (`warnings`), when there are any. */
export async function withWarnings(res: Response, warnings: readonly string[]): Promise<Response> {
  if (warnings.length === 0 || res.status !== 200) return res;
  const body = (await res.json()) as Record<string, unknown>;
  const headers = new Headers(res.headers);
  headers.delete('content-length');
  return new Response(JSON.stringify({ ...body, warnings }), { status: res.status, headers });
}

/** The answer to every request of a Worker whose configuration is wrong. */
export function misconfigured(message: string): Response {
  return Response.json({ code: 'UNAVAILABLE', message: `the kernel cannot start: ${message}` }, { status: 503 });
}
