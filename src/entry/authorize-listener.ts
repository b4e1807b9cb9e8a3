/**
 * The Node entry's `node:http` listener for the hottest route, `POST /v1/sessions/{id}/authorize`:
 * the request is read straight from the `IncomingMessage` and the answer written straight to the
 * `ServerResponse`, without the Web `Request`/`Response` adaptation of `@hono/node-server`, the
 * Hono router and its context. Every other request, and any authorize request this listener does
 * not take exactly as the adapter would (an absolute-form or unusual target, a Host header the
 * adapter refuses, a session id that is not a UUID), goes to the Hono app (`fallback`).
 *
 * One behaviour, one contract: the same steps in the same order as the Hono route in
 * `http/routes/sessions.ts` (authentication under KEE_AUTH=agents, then 415, 413, 400 from the
 * body, then the kernel), the same statuses, headers (names, case and order), problem+json bodies
 * and `WWW-Authenticate` challenges, and the same draining of an unread body after the answer.
 * `src/entry/authorize-listener.test.ts` sends the same requests through both and compares them
 * byte for byte; Bun and Deno serve every route through Hono.
 */
import type { IncomingMessage, RequestListener, ServerResponse } from 'node:http';
import { dpopChallenge } from '../http/agent-auth.ts';
import { toAuthorizationRequest } from '../http/authorize-request.ts';
import { MAX_BODY_BYTES, readIncoming, requireJsonType, validJson } from '../http/body.ts';
import { problemParts } from '../http/errors.ts';
import { authorizeBody, SESSION_ID } from '../http/schemas.ts';
import { DomainError } from '../kernel/errors.ts';
import type { Kernel } from '../kernel/kernel.ts';
import { drainIncoming } from './drain-incoming.ts';

const PREFIX = '/v1/sessions/';
const SUFFIX = '/authorize';
/** `/v1/sessions/` + a UUID (36) + `/authorize`. */
const PATH_LENGTH = PREFIX.length + 36 + SUFFIX.length;

/**
 * `kernel`'s authorize route on `node:http`, every other request to `fallback` (the Hono app's
 * listener). `hostname`: the adapter's default host, used when a request carries no Host header.
 *
 * @example
 * const hono = getRequestListener(app.fetch, { hostname });
 * createServer(options, authorizeListener(kernel, hono, hostname));
 */
export function authorizeListener(kernel: Kernel, fallback: RequestListener, hostname?: string): RequestListener {
  const origins = new OriginCache(hostname);
  return function kernelListener(req, res) {
    const path = req.url;
    if (req.method !== 'POST' || path === undefined || !isAuthorizePath(path)) return fallback(req, res);
    const origin = origins.of(req, path);
    if (origin === undefined) return fallback(req, res);
    void authorize(kernel, req, res, path, origin);
  };
}

function isAuthorizePath(path: string): boolean {
  return path.length === PATH_LENGTH && path.startsWith(PREFIX) && path.endsWith(SUFFIX) && SESSION_ID.test(path.slice(PREFIX.length, PREFIX.length + 36));
}

/** The Hono route's steps (`withDpopChallenge`, `sessionHolder`, `readJson`, `kernel.authorize`, `c.json`). */
async function authorize(kernel: Kernel, req: IncomingMessage, res: ServerResponse, path: string, origin: string): Promise<void> {
  const sessionId = path.slice(PREFIX.length, PREFIX.length + 36);
  const headers = wantedHeaders(req.rawHeaders);
  try {
    let holder;
    try {
      holder = kernel.authMode === 'agents' ? await kernel.authenticateCall({ sessionId, authorization: headers.authorization, dpop: headers.dpop, method: 'POST', url: origin + path }) : undefined;
      requireJsonType(headers.contentType);
      const body = validJson(await readIncoming(req, MAX_BODY_BYTES), authorizeBody);
      const result = await kernel.authorize(sessionId, toAuthorizationRequest(body), holder);
      const text = JSON.stringify(result);
      send(req, res, 200, { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(text) }, text);
    } catch (e) {
      if (e instanceof DomainError && (e.code === 'UNAUTHENTICATED' || e.code === 'FORBIDDEN')) {
        sendProblem(req, res, e, { 'www-authenticate': dpopChallenge(e, headers.authorization !== undefined || headers.dpop !== undefined) });
      } else {
        sendProblem(req, res, e instanceof DomainError ? e : new DomainError('INTERNAL', 'internal error'));
      }
    }
  } catch {
    res.destroy(); // the answer could not be written: as the adapter does, drop the connection
  }
}

/** The three headers the route reads, each joined over repeats with `, ` as a Web `Headers` joins them (Node's `req.headers` keeps only the first `authorization` and `content-type`). */
function wantedHeaders(raw: string[]): { authorization?: string; dpop?: string; contentType?: string } {
  const out: { authorization?: string; dpop?: string; contentType?: string } = {};
  for (let i = 0; i < raw.length; i += 2) {
    const name = raw[i] as string;
    const key = name.length === 13 && name.toLowerCase() === 'authorization' ? 'authorization' : name.length === 4 && name.toLowerCase() === 'dpop' ? 'dpop' : name.length === 12 && name.toLowerCase() === 'content-type' ? 'contentType' : undefined;
    if (key === undefined) continue;
    const value = raw[i + 1] as string;
    const had = out[key];
    out[key] = had === undefined ? value : `${had}, ${value}`;
  }
  return out;
}

/**
 * A problem+json answer with the headers the Hono path writes: its `c.body` passes a lone
 * `content-type` on as it is, and several headers through a Web `Headers` (lower case, sorted),
 * then the adapter adds `Content-Length`.
 */
function sendProblem(req: IncomingMessage, res: ServerResponse, err: DomainError, extra: Record<string, string> = {}): void {
  const p = problemParts(err);
  const all: Record<string, string> = { ...p.headers, ...extra };
  const names = Object.keys(all);
  const headers: Record<string, string | number> = {};
  for (const name of names.length > 1 ? names.sort() : names) headers[name] = all[name] as string;
  headers['Content-Length'] = Buffer.byteLength(p.body);
  send(req, res, p.status, headers, p.body);
}

/** Writes the answer; a body the route did not read to its end is drained after it, as the adapter does. */
function send(req: IncomingMessage, res: ServerResponse, status: number, headers: Record<string, string | number>, body: string): void {
  if (!req.readableEnded) res.once('finish', () => req.readableEnded || drainIncoming(req));
  res.writeHead(status, headers);
  res.end(body);
}

/**
 * `scheme://host` of a request's URL as `@hono/node-server` builds it (`new URL` over the Host
 * header, refused when the parsed host name is not the header's), per Host header seen; undefined
 * for a host the adapter refuses (its 400 is then the adapter's own). At most 256 remembered.
 */
class OriginCache {
  private readonly known = new Map<string, string | undefined>();
  private readonly hostname: string | undefined;
  constructor(hostname: string | undefined) {
    this.hostname = hostname;
  }

  of(req: IncomingMessage, path: string): string | undefined {
    const host = req.headers.host || this.hostname;
    if (!host) return undefined;
    const scheme = (req.socket as { encrypted?: boolean } | null)?.encrypted ? 'https' : 'http';
    const key = `${scheme}://${host}`;
    if (this.known.has(key)) return this.known.get(key);
    const origin = adapterOrigin(key, host, path);
    if (this.known.size >= 256) this.known.clear();
    this.known.set(key, origin);
    return origin;
  }
}

function adapterOrigin(base: string, host: string, path: string): string | undefined {
  try {
    const url = new URL(base + path);
    if (url.hostname.length !== host.length && url.hostname !== host.replace(/:\d+$/, '')) return undefined;
    if (url.pathname !== path || url.search !== '' || url.hash !== '' || url.username !== '' || url.password !== '') return undefined;
    return url.origin;
  } catch {
    return undefined;
  }
}
