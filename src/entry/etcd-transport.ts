/**
 * The etcd JSON gateway's transport on Node, Bun and Deno: `node:http` / `node:https` with
 * keep-alive, a per-request timeout, and for https endpoints the client certificate, key and CA
 * of mutual TLS (TLS 1.3 at least).
 */
import http from 'node:http';
import https from 'node:https';
import { NotSentError, type EtcdTransport } from '../adapters/etcd/etcd-gateway.ts';

export type EtcdTls = { ca: string | Buffer; cert: string | Buffer; key: string | Buffer };

export function nodeEtcdTransport(opts: { tls?: EtcdTls; timeoutMs?: number } = {}): EtcdTransport {
  const timeoutMs = opts.timeoutMs ?? 1_000;
  const tls = opts.tls;
  const httpAgent = new http.Agent({ keepAlive: true, maxSockets: 4 });
  const httpsAgent = new https.Agent({ keepAlive: true, maxSockets: 4, ...(tls ? { ca: tls.ca, cert: tls.cert, key: tls.key, minVersion: 'TLSv1.3' } : {}) });
  return {
    post(base, path, payload) {
      const secure = base.protocol === 'https:';
      if (secure && !tls) return Promise.reject(new NotSentError(`etcd endpoint ${base.origin} is https but no client certificate is configured`));
      return new Promise((resolve, reject) => {
        const req = (secure ? https : http).request(
          {
            protocol: base.protocol,
            hostname: base.hostname,
            port: base.port,
            path,
            method: 'POST',
            agent: secure ? httpsAgent : httpAgent,
            headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(payload) },
            timeout: timeoutMs,
          },
          (res) => {
            const chunks: Buffer[] = [];
            res.on('data', (c: Buffer) => chunks.push(c));
            res.on('end', () => resolve({ status: res.statusCode ?? 0, text: Buffer.concat(chunks).toString('utf8') }));
            res.on('error', reject);
          },
        );
        req.on('timeout', () => req.destroy(new Error(`etcd ${base.origin}${path}: no answer within ${timeoutMs} ms`)));
        req.on('error', (e: Error & { code?: string }) => reject(e.code === 'ECONNREFUSED' ? new NotSentError(`etcd ${base.origin}: connection refused`) : e));
        req.end(payload);
      });
    },
    close() {
      httpAgent.destroy();
      httpsAgent.destroy();
    },
  };
}
