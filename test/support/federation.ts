/**
 * Two (or more) kernels federated on loopback for the P8 tests and bench/revocation: each an
 * in-process kernel (test/support/harness.ts) served by @hono/node-server on a real port, so
 * SETs, stream management and polls travel over real HTTP. Each has its own settable clock
 * (`advance(ms)`), and no revocation timer: the caller runs `tick()`.
 */
import { serve, type ServerType } from '@hono/node-server';
import { MemoryStore } from '../../src/adapters/memory/store.ts';
import { joseSetVerifier } from '../../src/adapters/jose/set-verifier.ts';
import type { OperatorAlert } from '../../src/ports/alert.ts';
import type { TransmitterConfig } from '../../src/kernel/revocation/receiver.ts';
import type { RevocationOptions } from '../../src/kernel/revocation/federation.ts';
import type { AuditStore } from '../../src/ports/storage.ts';
import { freePort } from './free-port.ts';
import { agentRead, makeHarness, type Harness } from './harness.ts';
import { makeOperators } from './operators.ts';

export type Node = {
  h: Harness;
  url: string;
  port: number;
  alerts: OperatorAlert[];
  /** Moves this kernel's clock forward. */
  advance: (ms: number) => void;
  tick: () => Promise<void>;
  /** Stops serving (the kernel lives on); `listen()` serves again on the same port. */
  close: () => Promise<void>;
  listen: () => Promise<void>;
  /** The decision for a fresh session of `agent` asking `agentRead(agent)`. */
  decide: (agent: string) => Promise<{ decision: string; reasons: string[] }>;
};

export type Ops = Awaited<ReturnType<typeof makeOperators>>;

/** One kernel on a real port, receiving from `transmitters(url)` (its own URL given, for push_url). */
export async function startNode(ops: Ops, options: { transmitters?: (self: string) => TransmitterConfig[]; revocation?: RevocationOptions; store?: AuditStore; port?: number } = {}): Promise<Node> {
  const port = options.port ?? (await freePort());
  const url = `http://127.0.0.1:${port}`;
  let offset = 0;
  const clock = { nowIso: () => new Date(Date.now() + offset).toISOString() };
  const alerts: OperatorAlert[] = [];
  const h = makeHarness({
    store: options.store ?? new MemoryStore(),
    deps: {
      operatorTokens: ops.verifier,
      setVerifier: joseSetVerifier(),
      clock,
      alerts: { alert: (a) => void alerts.push(a) },
      options: { revocation: { tickMs: 0, pollMs: 0, ...options.revocation, transmitters: options.transmitters?.(url) ?? [] } },
    },
  });
  await h.started;
  let server: ServerType | null = null;
  const listen = () =>
    new Promise<void>((resolve) => {
      server = serve({ fetch: h.app.fetch, port, hostname: '127.0.0.1' }, () => resolve());
    });
  const close = () =>
    new Promise<void>((resolve) => {
      const s = server as (ServerType & { closeAllConnections?: () => void }) | null;
      server = null;
      if (!s) return resolve();
      s.closeAllConnections?.();
      s.close(() => resolve());
    });
  await listen();
  const decide = async (agent: string) => {
    const s = await h.call('POST', '/v1/sessions', { agent_id: agent });
    const r = await h.call('POST', `/v1/sessions/${s.json.session_id}/authorize`, agentRead(agent));
    return r.json as { decision: string; reasons: string[] };
  };
  return { h, url, port, alerts, advance: (ms) => void (offset += ms), tick: () => h.kernel.revocation.tick(), close, listen, decide };
}

/** B's configuration of A as transmitter. */
export async function transmitterConfig(ops: Ops, a: string, delivery: 'push' | 'poll', self: string): Promise<TransmitterConfig> {
  const token = ((await ops.bearer('operator')).authorization ?? '').slice('Bearer '.length);
  return { config_url: `${a}/.well-known/ssf-configuration`, token, delivery, ...(delivery === 'push' ? { push_url: `${self}/ssf/push` } : {}) };
}
