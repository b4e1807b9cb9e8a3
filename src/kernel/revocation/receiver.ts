/**
 * The SSF receiver (digest §2.8 items 2-3, 5): for every configured transmitter (a peer kernel,
 * an identity provider) it reads the transmitter's SSF configuration, creates its stream there
 * (push to this kernel's `/ssf/push`, or poll), verifies each SET against the transmitter's
 * JWKS and applies it to the revocation registry at once (source CAEP). A stream counts as
 * healthy while the transmitter was heard from (a SET, a poll answer, the answer to a
 * verification request) within `unhealthyAfterMs`; past it, the receiver reports it (journal
 * record and operator alert) and the kernel denies what it cannot confirm.
 */
import type { AlertSink } from '../../ports/alert.ts';
import type { SetVerifier } from '../../ports/set-verifier.ts';
import type { KernelJournal } from '../audit/journal.ts';
import type { RevocationEntry, RevocationInput } from '../credentials/revocations.ts';
import { DomainError } from '../errors.ts';
import { toRevocation, EVENTS_SUPPORTED } from './set-events.ts';
import { POLL_METHOD, PUSH_METHOD } from './streams.ts';

/** One configured transmitter (`KEE_SSF_TRANSMITTERS`). */
export type TransmitterConfig = {
  /** The transmitter's `/.well-known/ssf-configuration` URL. */
  config_url: string;
  /** The issuer SETs must carry (default: the configuration's `issuer`). */
  issuer?: string;
  /** Bearer token for the transmitter's stream management (an operator token there). */
  token?: string;
  delivery: 'push' | 'poll';
  /** Push: the URL where the transmitter reaches this kernel's `/ssf/push`. */
  push_url?: string;
};

type Metadata = { issuer: string; jwks_uri: string; configuration_endpoint: string; verification_endpoint?: string };

type Peer = {
  cfg: TransmitterConfig;
  meta: Metadata | null;
  streamId: string | null;
  pollUrl: string | null;
  lastContactMs: number | null;
  lastPollMs: number;
  lastVerifyMs: number;
  acks: string[];
  errs: Record<string, { err: string; description: string }>;
  unhealthy: boolean;
  lastError: string | null;
  applied: number;
};

export type ReceiverDeps = {
  transmitters: TransmitterConfig[];
  verifier: SetVerifier;
  fetch: typeof fetch;
  register: (input: RevocationInput) => Promise<RevocationEntry>;
  journal: KernelJournal;
  alerts?: AlertSink | undefined;
  kernelId: string;
  /** This kernel's issuer: names its streams at the transmitters (`description`). */
  ownIssuer: string;
  nowMs: () => number;
  nowIso: () => string;
  pollMs: number;
  verifyEveryMs: number;
  unhealthyAfterMs: number;
};

export type StreamHealth = { issuer: string; config_url: string; delivery: 'push' | 'poll'; stream_id: string | null; healthy: boolean; last_contact_ms_ago: number | null; last_error: string | null; applied: number };

const TIMEOUT_MS = 5_000;

export class Receiver {
  private readonly deps: ReceiverDeps;
  private readonly peers: Peer[];
  private readonly startedMs: number;
  private ticking = false;

  constructor(deps: ReceiverDeps) {
    this.deps = deps;
    this.startedMs = deps.nowMs();
    this.peers = deps.transmitters.map((cfg) => ({ cfg, meta: null, streamId: null, pollUrl: null, lastContactMs: null, lastPollMs: -Infinity, lastVerifyMs: -Infinity, acks: [], errs: {}, unhealthy: false, lastError: null, applied: 0 }));
  }

  configured(): boolean {
    return this.peers.length > 0;
  }

  /** Per transmitter: its stream and whether it is healthy now. */
  health(): StreamHealth[] {
    const now = this.deps.nowMs();
    return this.peers.map((p) => ({
      issuer: p.meta?.issuer ?? p.cfg.issuer ?? p.cfg.config_url,
      config_url: p.cfg.config_url,
      delivery: p.cfg.delivery,
      stream_id: p.streamId,
      healthy: this.healthy(p, now),
      last_contact_ms_ago: p.lastContactMs === null ? null : now - p.lastContactMs,
      last_error: p.lastError,
      applied: p.applied,
    }));
  }

  /** Why revocation status cannot be confirmed now (a stream silent past its bound), or null. */
  unconfirmed(): string | null {
    const now = this.deps.nowMs();
    const bad = this.peers.filter((p) => !this.healthy(p, now));
    if (bad.length === 0) return null;
    const p = bad[0] as Peer;
    const since = p.lastContactMs === null ? 'never heard from' : `silent for ${Math.round((now - p.lastContactMs) / 1000)} s`;
    return `the SSF stream from ${p.meta?.issuer ?? p.cfg.config_url} is ${since} (bound ${Math.round(this.deps.unhealthyAfterMs / 1000)} s)`;
  }

  /** A pushed SET (RFC 8935): verified against its transmitter and applied; throws a reason for a 400. */
  async receivePush(token: string): Promise<void> {
    const iss = this.deps.verifier.peekIssuer(token);
    if (iss === null) throw new DomainError('INVALID_INPUT', 'the body is not a SET (a compact JWS with an `iss` claim)', { facts: { err: 'invalid_request' } });
    let peer = this.peers.find((p) => (p.meta?.issuer ?? p.cfg.issuer) === iss);
    if (!peer) {
      for (const p of this.peers.filter((x) => x.meta === null)) await this.resolve(p).catch(() => undefined);
      peer = this.peers.find((p) => p.meta?.issuer === iss);
    }
    if (!peer?.meta) throw new DomainError('INVALID_INPUT', `\`${iss.slice(0, 200)}\` is not a configured transmitter`, { facts: { err: 'invalid_issuer' } });
    let claims: Record<string, unknown>;
    try {
      claims = await this.deps.verifier.verify(token, { issuer: peer.meta.issuer, jwksUri: peer.meta.jwks_uri });
    } catch (e) {
      throw new DomainError('INVALID_INPUT', e instanceof Error ? e.message : String(e), { facts: { err: 'invalid_key' } });
    }
    try {
      await this.apply(peer, claims);
    } catch (e) {
      if (e instanceof DomainError) throw e;
      throw new DomainError('INVALID_INPUT', e instanceof Error ? e.message : String(e), { facts: { err: 'invalid_request' } });
    }
  }

  /** Sets up missing streams, polls poll streams, asks push transmitters to verify, and reports health changes. */
  async tick(): Promise<void> {
    if (this.ticking) return;
    this.ticking = true;
    try {
      await Promise.all(this.peers.map((p) => this.tickPeer(p)));
    } finally {
      this.ticking = false;
    }
  }

  private async tickPeer(p: Peer): Promise<void> {
    const now = this.deps.nowMs();
    try {
      if (!p.meta || !p.streamId) await this.setup(p);
      else if (p.cfg.delivery === 'poll' && now - p.lastPollMs >= this.deps.pollMs) await this.poll(p);
      else if (p.cfg.delivery === 'push' && now - p.lastVerifyMs >= this.deps.verifyEveryMs) await this.requestVerification(p);
      p.lastError = null;
    } catch (e) {
      p.lastError = e instanceof Error ? e.message : String(e);
    }
    await this.reportHealth(p);
  }

  private healthy(p: Peer, now: number): boolean {
    return now - (p.lastContactMs ?? this.startedMs) <= this.deps.unhealthyAfterMs;
  }

  private async reportHealth(p: Peer): Promise<void> {
    const now = this.deps.nowMs();
    const healthy = this.healthy(p, now);
    if (healthy === !p.unhealthy) return;
    p.unhealthy = !healthy;
    const issuer = p.meta?.issuer ?? p.cfg.config_url;
    try {
      await this.deps.journal.record(healthy ? 'REVOCATION_STREAM_RESTORED' : 'REVOCATION_STREAM_UNHEALTHY', { transmitter: issuer, stream_id: p.streamId, last_error: p.lastError });
    } catch {
      // GAR_UNAVAILABLE is set by the audit log
    }
    if (!healthy) {
      try {
        await this.deps.alerts?.alert({ alert: 'REVOCATION_STREAM_UNHEALTHY', severity: 'critical', at: this.deps.nowIso(), kernel_id: this.deps.kernelId, threshold: null, participants: null, available_count: null, unavailable_participants: [], culprit_participants: [], eta: null, detail: `${this.unconfirmed() ?? issuer}: new actions under mandates whose status cannot be confirmed are denied` });
      } catch {
        // sinks never stop the receiver
      }
    }
  }

  private async resolve(p: Peer): Promise<Metadata> {
    const res = await this.call(p.cfg.config_url, { method: 'GET' });
    const m = (await res.json()) as Partial<Metadata>;
    if (typeof m.issuer !== 'string' || typeof m.jwks_uri !== 'string' || typeof m.configuration_endpoint !== 'string') throw new Error(`${p.cfg.config_url}: not an SSF configuration (issuer, jwks_uri, configuration_endpoint)`);
    if (p.cfg.issuer !== undefined && p.cfg.issuer !== m.issuer) throw new Error(`${p.cfg.config_url}: issuer \`${m.issuer}\` is not the configured \`${p.cfg.issuer}\``);
    p.meta = { issuer: m.issuer, jwks_uri: m.jwks_uri, configuration_endpoint: m.configuration_endpoint, ...(typeof m.verification_endpoint === 'string' ? { verification_endpoint: m.verification_endpoint } : {}) };
    return p.meta;
  }

  /** Replaces this kernel's stream at the transmitter (its earlier ones, found by description, are deleted). */
  private async setup(p: Peer): Promise<void> {
    const meta = p.meta ?? (await this.resolve(p));
    const description = `kee receiver ${this.deps.ownIssuer}`;
    const list = await this.call(meta.configuration_endpoint, { method: 'GET' }, p);
    const streams = (await list.json()) as { stream_id?: string; description?: string }[] | { stream_id?: string; description?: string };
    for (const s of Array.isArray(streams) ? streams : [streams]) {
      if (s.description === description && typeof s.stream_id === 'string') await this.call(`${meta.configuration_endpoint}?stream_id=${encodeURIComponent(s.stream_id)}`, { method: 'DELETE' }, p).catch(() => undefined);
    }
    const delivery = p.cfg.delivery === 'push' ? { method: PUSH_METHOD, endpoint_url: p.cfg.push_url } : { method: POLL_METHOD };
    const res = await this.call(meta.configuration_endpoint, { method: 'POST', body: JSON.stringify({ delivery, events_requested: [...EVENTS_SUPPORTED], description }) }, p);
    const created = (await res.json()) as { stream_id?: unknown; delivery?: { endpoint_url?: unknown } };
    if (typeof created.stream_id !== 'string') throw new Error(`${meta.configuration_endpoint}: the created stream has no stream_id`);
    p.streamId = created.stream_id;
    p.pollUrl = typeof created.delivery?.endpoint_url === 'string' ? created.delivery.endpoint_url : null;
    p.lastContactMs = this.deps.nowMs();
    p.acks = [];
    p.errs = {};
  }

  /** RFC 8936 polls: acks what was applied, until the transmitter has nothing more (at most 5 rounds). */
  private async poll(p: Peer): Promise<void> {
    p.lastPollMs = this.deps.nowMs();
    if (!p.pollUrl || !p.meta) throw new Error('the poll stream has no endpoint');
    for (let round = 0; round < 5; round++) {
      const ack = p.acks;
      const setErrs = p.errs;
      let res: Response;
      try {
        res = await this.call(p.pollUrl, { method: 'POST', body: JSON.stringify({ ack, ...(Object.keys(setErrs).length ? { setErrs } : {}), maxEvents: 100, returnImmediately: true }) }, p);
      } catch (e) {
        if (e instanceof StatusError && e.status === 404) p.streamId = null; // the stream is gone: set up again
        throw e;
      }
      p.acks = [];
      p.errs = {};
      p.lastContactMs = this.deps.nowMs();
      const body = (await res.json()) as { sets?: Record<string, unknown>; moreAvailable?: unknown };
      const sets = Object.entries(body.sets ?? {});
      for (const [jti, token] of sets) {
        try {
          if (typeof token !== 'string') throw new Error('the SET is not a string');
          const claims = await this.deps.verifier.verify(token, { issuer: p.meta.issuer, jwksUri: p.meta.jwks_uri });
          await this.apply(p, claims);
          p.acks.push(jti);
        } catch (e) {
          if (e instanceof DomainError) throw e; // the registry could not store it: not acknowledged, polled again
          p.errs[jti] = { err: 'invalid_request', description: (e instanceof Error ? e.message : String(e)).slice(0, 500) };
        }
      }
      if (sets.length === 0 && p.acks.length === 0) return;
    }
  }

  /** SSF 1.0 §8.1.4.2: asks a push transmitter for a verification event (it arrives on /ssf/push). */
  private async requestVerification(p: Peer): Promise<void> {
    p.lastVerifyMs = this.deps.nowMs();
    if (!p.meta?.verification_endpoint) return;
    try {
      await this.call(p.meta.verification_endpoint, { method: 'POST', body: JSON.stringify({ stream_id: p.streamId, state: crypto.randomUUID() }) }, p);
    } catch (e) {
      if (e instanceof StatusError && e.status === 404) p.streamId = null;
      throw e;
    }
  }

  private async apply(p: Peer, claims: Record<string, unknown>): Promise<void> {
    const receivedAt = this.deps.nowIso();
    p.lastContactMs = this.deps.nowMs();
    const input = toRevocation(claims, receivedAt);
    if (input === null || input === 'verification') return;
    await this.deps.register(input);
    p.applied++;
  }

  private async call(url: string, init: RequestInit, p?: Peer): Promise<Response> {
    const headers: Record<string, string> = { accept: 'application/json', ...(init.body ? { 'content-type': 'application/json' } : {}), ...(p?.cfg.token ? { authorization: `Bearer ${p.cfg.token}` } : {}) };
    const res = await this.deps.fetch(url, { ...init, headers, signal: AbortSignal.timeout(TIMEOUT_MS) });
    if (res.status >= 300) {
      await res.body?.cancel();
      throw new StatusError(res.status, `${init.method ?? 'GET'} ${url} answered ${res.status}`);
    }
    return res;
  }
}

class StatusError extends Error {
  readonly status: number;
  constructor(status: number, message: string) {
    super(message);
    this.status = status;
  }
}
