/**
 * bench/http: the load for KEE_AUTH=agents, which oha cannot generate. Every authenticated
 * `authorize` must carry a DPoP proof of its own (RFC 9449: `jti` never reused, `iat` within
 * 60 s; the kernel refuses a replayed proof and has no reuse window), and oha (1.16) sends the
 * same headers on every request. So this load is driven from Node (`node:http`, keep-alive), each
 * request with `Authorization: DPoP <session token>` and a proof signed for it before the run
 * starts (signing is the client's cost, not the kernel's). Open loop: each request sent at its
 * scheduled time, latency from that time (as oha's `--latency-correction`); closed loop:
 * `connections` callers back to back.
 */
import { Agent, request } from 'node:http';

export type SignedCall = { path: string; headers: Record<string, string> };
export type DpopResult = { seconds: number; ok: number; non2xx: number; errors: number; p50: number; p99: number; p999: number };

function pct(sorted: number[], p: number): number {
  return sorted.length === 0 ? NaN : (sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] as number);
}

export async function runDpopLoad(base: string, body: string, calls: SignedCall[], seconds: number, load: { connections: number; rate?: number }): Promise<DpopResult> {
  const url = new URL(base);
  const agent = new Agent({ keepAlive: true, maxSockets: load.connections });
  const latencies: number[] = [];
  let ok = 0;
  let non2xx = 0;
  let errors = 0;
  const length = String(Buffer.byteLength(body));
  const send = (c: SignedCall, scheduled: number) =>
    new Promise<void>((resolve) => {
      const req = request({ host: url.hostname, port: url.port, path: c.path, method: 'POST', agent, headers: { ...c.headers, 'content-type': 'application/json', 'content-length': length } }, (res) => {
        res.resume();
        res.on('end', () => {
          if ((res.statusCode ?? 0) >= 200 && (res.statusCode ?? 0) < 300) {
            ok++;
            latencies.push(performance.now() - scheduled);
          } else non2xx++;
          resolve();
        });
        res.on('error', () => (errors++, resolve()));
      });
      req.on('error', () => (errors++, resolve()));
      req.end(body);
    });
  let next = 0;
  const t0 = performance.now();
  const end = t0 + seconds * 1000;
  if (load.rate === undefined) {
    await Promise.all(
      Array.from({ length: load.connections }, async () => {
        while (performance.now() < end && next < calls.length) await send(calls[next++] as SignedCall, performance.now());
      }),
    );
  } else {
    const rate = load.rate;
    const pending: Promise<void>[] = [];
    await new Promise<void>((done) => {
      const tick = () => {
        const now = performance.now();
        while (next < calls.length && t0 + (next * 1000) / rate <= now && t0 + (next * 1000) / rate < end) {
          pending.push(send(calls[next] as SignedCall, t0 + (next * 1000) / rate));
          next++;
        }
        if (now < end && next < calls.length) setImmediate(tick);
        else done();
      };
      tick();
    });
    await Promise.all(pending);
  }
  const elapsed = (performance.now() - t0) / 1000;
  agent.destroy();
  latencies.sort((a, b) => a - b);
  return { seconds: elapsed, ok, non2xx, errors, p50: pct(latencies, 50), p99: pct(latencies, 99), p999: pct(latencies, 99.9) };
}
