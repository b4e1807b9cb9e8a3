/**
 * An `Exchange` for `HttpParticipant` straight over `node:http` with a keep-alive agent: over a
 * Unix domain socket (`socketPath`) for participants configured as `unix:/path/to.sock`, or over
 * TCP. It writes the request's bytes and collects the answer's, without building or reading
 * WebAPI Request/Response objects (on Node 20 that costs more than the rest of the client side
 * of a request, and a signature is 2t requests). Node, Bun and Deno provide `node:http`.
 */
import { Agent, request } from 'node:http';
import type { Exchange, Transport } from '../adapters/frost/http-participant.ts';

export function unixExchange(socketPath: string): Exchange {
  return nodeHttpExchange({ socketPath });
}

export function nodeHttpExchange(opts: { socketPath?: string } = {}): Exchange {
  const agent = new Agent({ keepAlive: true });
  return (req) =>
    new Promise((resolve, reject) => {
      const headers: Record<string, string> = { ...req.headers };
      if (req.body) headers['content-length'] = String(req.body.length);
      const url = opts.socketPath ? undefined : new URL(req.url);
      const target = url ? { host: url.hostname.replace(/^\[|\]$/g, ''), port: url.port || 80 } : { socketPath: opts.socketPath };
      const r = request({ ...target, agent, method: req.method, path: req.path, headers }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => resolve({ status: res.statusCode ?? 500, body: chunks.length === 1 ? (chunks[0] as Buffer) : Buffer.concat(chunks) }));
        res.on('error', reject);
      });
      r.on('error', reject);
      r.end(req.body);
    });
}

/** A fetch-like `Transport` over an `Exchange` (for the ceremony client, which is not a hot path). */
export function transportOver(exchange: Exchange): Transport {
  return async (r) => {
    const url = new URL(r.url);
    const method = r.method === 'GET' ? 'GET' : r.method === 'POST' ? 'POST' : null;
    if (!method) throw new TypeError(`unsupported method ${r.method}`);
    const body = method === 'POST' ? new Uint8Array(await r.arrayBuffer()) : undefined;
    const answer = await exchange({ method, url: r.url, path: `${url.pathname}${url.search}`, headers: headersOf(r.headers), ...(body ? { body } : {}) });
    return new Response(answer.status === 204 ? null : (answer.body as Uint8Array<ArrayBuffer>), { status: answer.status });
  };
}

/** `fetch` over a Unix domain socket. */
export const unixTransport = (socketPath: string): Transport => transportOver(unixExchange(socketPath));
/** `fetch` over `node:http` with a keep-alive agent. */
export const nodeHttpTransport = (): Transport => transportOver(nodeHttpExchange());

function headersOf(h: Headers): Record<string, string> {
  const out: Record<string, string> = {};
  h.forEach((v, k) => {
    out[k] = v;
  });
  return out;
}
