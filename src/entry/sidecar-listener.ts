/**
 * `kee signer serve`'s `node:http` listener: the three signing routes (`POST /v1/frost/round1`,
 * `round2`, `cancel`) go straight to `FrostSidecar` with the body bytes read from the socket, and
 * the answer is written back as it is; every other request (health, unknown routes, anything
 * added to the Hono app, and the signing routes while the sidecar holds no key) goes to the Hono app. Same checks, statuses and bodies as through Hono
 * (src/http/sidecar-app.test.ts runs both), without building a WebAPI Request and Response on
 * each of the requests a signature makes.
 */
import type { IncomingMessage, RequestListener, ServerResponse } from 'node:http';
import { MAX_BODY_BYTES } from '../http/body.ts';
import { problemParts } from '../http/errors.ts';
import { FrostSidecar } from '../http/sidecar-frost.ts';
import { DomainError } from '../kernel/errors.ts';

export function sidecarListener(sidecar: FrostSidecar | (() => FrostSidecar | null), fallback: RequestListener): RequestListener {
  const current = typeof sidecar === 'function' ? sidecar : () => sidecar;
  return (req, res) => {
    const path = req.url ?? '';
    // no key yet (a sidecar awaiting its ceremony): the Hono host answers, 503
    const frost = req.method === 'POST' && FrostSidecar.isRoute(path) ? current() : null;
    if (!frost || !FrostSidecar.isRoute(path)) {
      fallback(req, res);
      return;
    }
    const header = (name: string) => {
      const v = req.headers[name];
      return Array.isArray(v) ? v.join(', ') : v;
    };
    readBody(req)
      .then((body) => frost.handle(path, { path, header, body }))
      .then(
        (answer) => send(res, 200, { 'content-type': 'application/json' }, JSON.stringify(answer)),
        (err: unknown) => {
          const p = problemParts(err instanceof DomainError ? err : new DomainError('INTERNAL', 'internal error'));
          send(res, p.status, p.headers, p.body);
        },
      )
      .catch(() => res.destroy());
  };
}

/** The request body, refused (413) past MAX_BODY_BYTES, declared or read. */
function readBody(req: IncomingMessage): Promise<Uint8Array> {
  return new Promise((resolve, reject) => {
    try {
      FrostSidecar.checkDeclaredLength(req.headers['content-length']);
    } catch (e) {
      req.resume(); // drain what the client sends, the answer goes out first
      reject(e);
      return;
    }
    const chunks: Buffer[] = [];
    let size = 0;
    let over = false;
    req.on('data', (c: Buffer) => {
      size += c.length;
      if (size > MAX_BODY_BYTES) over = true;
      else chunks.push(c);
    });
    req.on('end', () => {
      if (over) reject(new DomainError('PAYLOAD_TOO_LARGE', `request body exceeds ${MAX_BODY_BYTES} bytes`));
      else resolve(chunks.length === 1 ? (chunks[0] as Buffer) : Buffer.concat(chunks));
    });
    req.on('error', reject);
  });
}

function send(res: ServerResponse, status: number, headers: Record<string, string>, body: string): void {
  if (res.headersSent || res.destroyed) return;
  res.writeHead(status, { ...headers, 'content-length': Buffer.byteLength(body) });
  res.end(body);
}
