/**
 * How long a client may take to send one request (headers and body), from
 * KEE_HTTP_REQUEST_TIMEOUT_MS. A slow or stalled client is cut off after it instead of holding a
 * connection for Node's default 300 s. See docs/http-limits.md for what each runtime enforces.
 */
import type { ServerOptions } from 'node:http';

/** The default request timeout: 15 s, far above any honest client's 64 KiB upload. */
export const DEFAULT_REQUEST_TIMEOUT_MS = 15_000;
const MAX_REQUEST_TIMEOUT_MS = 600_000;

/**
 * The request timeout KEE_HTTP_REQUEST_TIMEOUT_MS names (milliseconds, 100–600000), or the
 * default when it is unset. Throws a one-line error for anything else.
 */
export function requestTimeoutMs(value: string | undefined): number {
  if (value === undefined || value === '') return DEFAULT_REQUEST_TIMEOUT_MS;
  const ms = /^\d+$/.test(value) ? Number(value) : NaN;
  if (!Number.isSafeInteger(ms) || ms < 100 || ms > MAX_REQUEST_TIMEOUT_MS) {
    throw new Error(`KEE_HTTP_REQUEST_TIMEOUT_MS must be a whole number of milliseconds from 100 to ${MAX_REQUEST_TIMEOUT_MS}, got \`${value.slice(0, 64)}\``);
  }
  return ms;
}

/** `requestTimeoutMs`, or a one-line message on stderr and exit code 1. */
export function requestTimeoutOrExit(value: string | undefined, exit: (code: number) => never): number {
  try {
    return requestTimeoutMs(value);
  } catch (e) {
    console.error(`kee: ${e instanceof Error ? e.message : String(e)}`);
    return exit(1);
  }
}

/**
 * Node's `http.createServer` options for a request timeout of `ms`: the headers and the whole
 * request must arrive within it (else 408 and the connection is closed), an idle keep-alive
 * connection is closed after 5 s (or `ms`, if shorter), and the timeouts are checked often
 * enough to hold (Node checks every 30 s by default).
 */
export function nodeServerOptions(ms: number): ServerOptions {
  return {
    requestTimeout: ms,
    headersTimeout: ms,
    keepAliveTimeout: Math.min(5_000, ms),
    connectionsCheckingInterval: Math.max(50, Math.min(1_000, Math.floor(ms / 4))),
  };
}

/** Bun's `idleTimeout` (whole seconds, 1–255): the longest a connection may stay silent, mid-request included. */
export function bunIdleTimeoutSeconds(ms: number): number {
  return Math.min(255, Math.max(1, Math.ceil(ms / 1000)));
}
