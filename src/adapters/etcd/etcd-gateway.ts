/**
 * The policy cluster's consensus port over etcd v3's JSON gateway (`/v3/kv/range`,
 * `/v3/kv/txn`, `/v3/maintenance/status`), which every etcd v3 server serves on its client
 * URLs: no gRPC stack and no npm dependency. The HTTP(S) transport, with its client certificate
 * for mutual TLS, comes from the entry (`src/entry/etcd-transport.ts`).
 */
import type { ConsensusRecord, ConsensusStatus, PolicyConsensus } from '../../ports/cluster.ts';

/** One POST of a JSON body to a member; rejects with `NotSentError` when it certainly never reached it. */
export type EtcdTransport = {
  post(endpoint: URL, path: string, body: string): Promise<{ status: number; text: string }>;
  close?(): void;
};

/** A request that never reached a member (connection refused, no client certificate): safe to send to another. */
export class NotSentError extends Error {}

type Answer = { status: number; body: Record<string, unknown> };

const enc = new TextEncoder();
const dec = new TextDecoder();
const b64 = (s: string) => btoa(String.fromCharCode(...enc.encode(s)));
const unb64 = (s: unknown) => dec.decode(Uint8Array.from(atob(typeof s === 'string' ? s : ''), (c) => c.charCodeAt(0)));

export class EtcdGateway implements PolicyConsensus {
  private readonly endpoints: URL[];
  private readonly transport: EtcdTransport;
  /** The member that answered last: asked first next time. */
  private preferred = 0;

  /** `endpoints`: client URLs of every member, e.g. `http://127.0.0.1:2379`. */
  constructor(endpoints: string[], transport: EtcdTransport) {
    if (endpoints.length === 0) throw new Error('no etcd endpoint');
    this.endpoints = endpoints.map((e) => new URL(e));
    this.transport = transport;
  }

  async read(key: string): Promise<ConsensusRecord | null> {
    // linearizable (the default, `serializable: false`): answered only after the member confirms its leadership with a quorum
    const a = await this.any('/v3/kv/range', { key: b64(key) }, true);
    const kv = (a.body.kvs as { value?: string; mod_revision?: string }[] | undefined)?.[0];
    return kv ? { value: unb64(kv.value), modRevision: String(kv.mod_revision ?? '0') } : null;
  }

  async compareAndSwap(key: string, expectedModRevision: string, value: string): Promise<boolean> {
    const k = b64(key);
    const a = await this.any(
      '/v3/kv/txn',
      // a key that does not exist has mod revision 0
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
    this.transport.close?.();
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
        if (!idempotent && !(e instanceof NotSentError)) throw e;
      }
    }
    throw last instanceof Error ? last : new Error(String(last));
  }

  private async post(endpoint: URL, path: string, body: unknown): Promise<Answer> {
    const r = await this.transport.post(endpoint, path, JSON.stringify(body));
    let parsed: Record<string, unknown> = {};
    try {
      parsed = JSON.parse(r.text) as Record<string, unknown>;
    } catch {
      // a non-JSON answer keeps an empty body; the status says what happened
    }
    return { status: r.status, body: parsed };
  }
}
