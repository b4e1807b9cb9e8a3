/**
 * A fetch-like transport over a Unix domain socket (`node:http` with `socketPath`), for
 * `HttpParticipant`s configured as `unix:/path/to.sock`. Node, Bun and Deno provide `node:http`.
 */
import { request } from 'node:http';
import type { Transport } from '../adapters/frost/http-participant.ts';

export function unixTransport(socketPath: string): Transport {
  return async (req: Request) => {
    const body = req.body ? new Uint8Array(await req.arrayBuffer()) : undefined;
    const url = new URL(req.url);
    const headers: Record<string, string> = {};
    req.headers.forEach((v, k) => (headers[k] = v));
    if (body) headers['content-length'] = String(body.length);
    return new Promise<Response>((resolve, reject) => {
      const r = request({ socketPath, method: req.method, path: `${url.pathname}${url.search}`, headers }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => {
          const h = new Headers();
          for (const [k, v] of Object.entries(res.headers)) if (typeof v === 'string') h.set(k, v);
          resolve(new Response(Buffer.concat(chunks), { status: res.statusCode ?? 500, headers: h }));
        });
        res.on('error', reject);
      });
      r.on('error', reject);
      r.end(body);
    });
  };
}
