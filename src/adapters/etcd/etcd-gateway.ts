/**
 * The policy cluster's consensus port over etcd v3's JSON gateway (`/v3/kv/range`,
 * `/v3/kv/txn`, `/v3/maintenance/status`), which every etcd v3 server serves on its client
 * URLs. Plain `node:http`/`node:https` (Node, Bun and Deno all provide them): no gRPC stack, no
 * npm dependency, and client certificates (mTLS) are ordinary TLS options.
 */
import http from 'node:http';
import https from 'node:https';
import type { ConsensusRecord, ConsensusStatus, PolicyConsensus } from '../../ports/cluster.ts';

export type EtcdTls = { ca: string | Buffer; cert: string | Buffer; key: string | Buffer };

export type EtcdGatewayOptions = {
  /** Client URLs of every member, e.g. `http://127.0.0.1:2379`. */
  endpoints: string[];
  /** Client certificate, key and the CA that signed the members' certificates (https endpoints). */
  tls?: EtcdTls;
  /** Per request; a member that does not answer in time counts as unreachable. Default 1,000 ms. */
  timeoutMs?: number;
};

type Answer = { status: number; body: Record<string, unknown> };

const b64 = (s: string) => Buffer.from(s, 'utf8').toString('base64');
const unb64 = (s: unknown) => Buffer.from(typeof s === 'string' ? s : '', 'base64').toString('utf8');

/** Thrown for a request that never reached a member (connection refused): safe to send to another. */
class NotSent extends Error {}

export class EtcdGateway implements PolicyConsensus {
  private readonly endpoints: URL[];
  private readonly timeoutMs: number;
  private readonly tls: EtcdTls | undefined;
  private readonly httpAgent = new http.Agent({ keepAlive: true, maxSockets: 4 });
  private readonly httpsAgent: https.Agent;
  /** The member that answered last: asked first next time. */
  private preferred = 0;

  constructor(opts: EtcdGatewayOptions) {
    if (opts.endpoints.length === 0) throw new Error('no etcd endpoint');
    this.endpoints = opts.endpoints.map((e) => new URL(e));
    this.timeoutMs = opts.timeoutMs ?? 1_000;
    this.tls = opts.tls;
    this.httpsAgent = new https.Agent({ keepAlive: true, maxSockets: 4, ...(opts.tls ? { ca: opts.tls.ca, cert: opts.tls.cert, key: opts.tls.key, minVersion: 'TLSv1.3' } : {}) });
  }

  async read(key: string): Promise<ConsensusRecord | null> {
    // linearizable (the default, `serializable: false`): answered only after the member confirms its leader with a quorum
    const a = await this.any('/v3/kv/range', { key: b64(key) }, true);
    const kv = (a.body.kvs as { value?: string; mod_revision?: string }[] | undefined)?.[0];
    return kv ? { value: unb64(kv.value), modRevision: String(kv.mod_revision ?? '0') } : null;
  }

  async compareAndSwap(key: string, expectedModRevision: string, value: string): Promise<boolean> {
    const k = b64(key);
    const a = await this.any(
      '/v3/kv/txn',
      { compare: [{ key: k, target: 'MOD', result: 'EQUAL', mod_revision: expectedModRevision }], success: [{ request_put: { key: k, value: b64(value) } }] },
      false,
    );
    return a.body.succeeded === true;
  }

  async status(): Promise<ConsensusStatus> {
    const answers = await Promise.all(this.endpoints.map((u) => this.post(u, '/v3/maintenance/status', {}).catch(() => null)));
    const ok = answers.filter((a): a is Answer => a !== null && a.status === 200);
    const leader = ok.some((a) => typeof a.body.leader === 'string' && a.body.leader !== '0');
    return { members: this.endpoints.length, reachable: ok.length, leader };
  }

  close(): void {
    this.httpAgent.destroy();
    this.httpsAgent.destroy();
  }

  /**
   * Sends to the preferred member, then the others. A read moves on after any failure; a write
   * only after one that was certainly not sent (its outcome is otherwise unknown: it throws).
   */
  private async any(path: string, body: unknown, idempotent: boolean): Promise<Answer> {
    let last: unknown = null;
    for (let i = 0; i < this.endpoints.length; i++) {
      const n = (this.preferred + i) % this.endpoints.length;
      try {
        const a = await this.post(this.endpoints[n] as URL, path, body);
        if (a.status !== 200) throw new Error(`etcd ${path}: ${a.status} ${String(a.body.message ?? a.body.error ?? '')}`.trim());
        this.preferred = n;
        return a;
      } catch (e) {
        last = e;
        if (!idempotent && !(e instanceof NotSent)) throw e;
      }
    }
    throw last instanceof Error ? last : new Error(String(last));
  }

  private post(base: URL, path: string, body: unknown): Promise<Answer> {
    const payload = JSON.stringify(body);
    const secure = base.protocol === 'https:';
    if (secure && !this.tls) return Promise.reject(new NotSent(`etcd endpoint ${base.origin} is https but no client certificate is configured`));
    return new Promise((resolve, reject) => {
      const req = (secure ? https : http).request(
        {
          protocol: base.protocol,
          hostname: base.hostname,
          port: base.port,
          path,
          method: 'POST',
          agent: secure ? this.httpsAgent : this.httpAgent,
          headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(payload) },
          timeout: this.timeoutMs,
        },
        (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (c: Buffer) => chunks.push(c));
          res.on('end', () => {
            let parsed: Record<string, unknown> = {};
            try {
              parsed = JSON.parse(Buffer.concat(chunks).toString('utf8')) as Record<string, unknown>;
            } catch {
              // a non-JSON answer keeps an empty body; the status says what happened
            }
            resolve({ status: res.statusCode ?? 0, body: parsed });
          });
          res.on('error', reject);
        },
      );
      req.on('timeout', () => req.destroy(new Error(`etcd ${base.origin}${path}: no answer within ${this.timeoutMs} ms`)));
      req.on('error', (e: Error & { code?: string }) => reject(e.code === 'ECONNREFUSED' ? new NotSent(`etcd ${base.origin}: connection refused`) : e));
      req.end(payload);
    });
  }
}
