/**
 * P8 revocation over SSF / CAEP (docs/revocation.md): the kernel as SSF transmitter (streams,
 * SETs of its LOCAL registry entries, completion states) and as receiver of its configured
 * transmitters, plus the fail-closed rule of P8.5. One `tick()` does all timed work; a timer
 * runs it every `tickMs` (0: none, the caller ticks, as tests do with their own clock).
 */
import type { AlertSink } from '../../ports/alert.ts';
import type { AuditStore } from '../../ports/storage.ts';
import type { SetVerifier } from '../../ports/set-verifier.ts';
import type { Telemetry } from '../../ports/telemetry.ts';
import type { TokenSigner } from '../../ports/token-signer.ts';
import type { KernelJournal } from '../audit/journal.ts';
import type { RevocationRegistry } from '../credentials/revocations.ts';
import { Outbox } from './outbox.ts';
import { Propagation, type PropagationEvent } from './propagation.ts';
import { Receiver, type StreamHealth, type TransmitterConfig } from './receiver.ts';
import { EVENTS_SUPPORTED } from './set-events.ts';
import { POLL_METHOD, PUSH_METHOD, StreamStore } from './streams.ts';
import { Transmitter } from './transmitter.ts';

export type { TransmitterConfig };

/** `KernelDeps.options.revocation`. */
export type RevocationOptions = {
  /** Transmitters this kernel receives from (`KEE_SSF_TRANSMITTERS`). */
  transmitters?: TransmitterConfig[];
  /** Poll-delivery interval (`KEE_SSF_POLL_MS`, default 2,000 ms). */
  pollMs?: number;
  /** Push streams: how often a verification event is requested (default 10,000 ms). */
  verifyEveryMs?: number;
  /** A stream silent this long is unhealthy: status unconfirmable, DENY (`KEE_SSF_UNHEALTHY_MS`, default 30,000 ms). */
  unhealthyAfterMs?: number;
  /** Acknowledgement window of a revocation event: CLEAN within it, else PARTIAL (default 30,000 ms). */
  ackTimeoutMs?: number;
  /** Unacknowledged this long: operator alert (default 60,000 ms). */
  alertAfterMs?: number;
  /** Timer period of `tick()` (default 1,000 ms; 0: no timer). */
  tickMs?: number;
  /** How long after its revocation a SET stays owed unacknowledged in the outbox (default 30 days), then dropped with an alert. */
  outboxMaxAgeMs?: number;
};

export type FederationDeps = {
  store: AuditStore;
  io: <T>(op: () => Promise<T>, write: boolean) => Promise<T>;
  registry: RevocationRegistry;
  journal: KernelJournal;
  tokens: TokenSigner;
  issuer: string;
  kernelId: string;
  nowMs: () => number;
  nowIso: () => string;
  telemetry: Telemetry;
  alerts?: AlertSink | undefined;
  setVerifier?: SetVerifier | undefined;
  fetch?: typeof fetch | undefined;
  options?: RevocationOptions | undefined;
};

export class Federation {
  readonly transmitter: Transmitter;
  readonly propagation: Propagation;
  readonly receiver: Receiver;
  private readonly streams: StreamStore;
  private readonly deps: FederationDeps;
  private timer: ReturnType<typeof setInterval> | null = null;
  /** First deliveries of revocation events under way. */
  private readonly starting = new Set<Promise<void>>();

  constructor(deps: FederationDeps) {
    this.deps = deps;
    const o = deps.options ?? {};
    const send = deps.fetch ?? ((input, init) => fetch(input, init));
    this.streams = new StreamStore({ store: deps.store, io: deps.io, nowIso: deps.nowIso });
    this.transmitter = new Transmitter({ streams: this.streams, tokens: deps.tokens, issuer: deps.issuer, nowMs: deps.nowMs, fetch: send, newId: () => crypto.randomUUID(), onPollAck: (s, j) => this.propagation.pollAck(s, j), onStreamGone: (s, why) => this.propagation.streamGone(s, why) });
    const outbox = new Outbox({ store: deps.store, io: deps.io, nowIso: deps.nowIso, onForeign: (e) => this.propagation.apply(e) });
    const transmitters = o.transmitters ?? [];
    if (transmitters.length > 0 && !deps.setVerifier) throw new Error('SSF transmitters are configured but no SET verifier is wired');
    this.receiver = new Receiver({
      transmitters,
      verifier: deps.setVerifier ?? { peekIssuer: () => null, verify: () => Promise.reject(new Error('no SET verifier')) },
      fetch: send,
      register: (input) => deps.registry.register(input),
      journal: deps.journal,
      alerts: deps.alerts,
      kernelId: deps.kernelId,
      ownIssuer: deps.issuer,
      nowMs: deps.nowMs,
      nowIso: deps.nowIso,
      pollMs: o.pollMs ?? 2_000,
      verifyEveryMs: o.verifyEveryMs ?? 10_000,
      unhealthyAfterMs: o.unhealthyAfterMs ?? 30_000,
    });
    this.propagation = new Propagation({
      transmitter: this.transmitter,
      outbox,
      journal: deps.journal,
      alerts: deps.alerts,
      telemetry: deps.telemetry,
      kernelId: deps.kernelId,
      nowMs: deps.nowMs,
      nowIso: deps.nowIso,
      federated: () => this.receiver.configured() || this.transmitter.streamCount() > 0,
      ackTimeoutMs: o.ackTimeoutMs ?? 30_000,
      alertAfterMs: o.alertAfterMs ?? 60_000,
      maxAgeMs: o.outboxMaxAgeMs,
    });
    // only what this kernel revoked travels on: CAEP entries came from a transmitter
    // the SETs are in the outbox before the revocation is answered; their delivery goes on after
    deps.registry.onAdded(async (entry) => {
      if (entry.source !== 'LOCAL') return;
      this.deliver(await this.propagation.owe(entry));
    });
  }

  /** Resolves once the first delivery of every revocation event started so far is done. */
  async idle(): Promise<void> {
    while (this.starting.size > 0) await Promise.all([...this.starting]);
  }

  /** Loads the stored streams (at start). */
  load(): Promise<void> {
    return this.streams.load();
  }

  /**
   * Restores the outbox (at start, once the streams and the registry are loaded): unacknowledged
   * SETs back into their poll queues and push retries, the events' tracking, and the LOCAL
   * entries a crash left without SETs owed.
   */
  async restore(): Promise<void> {
    const local = this.deps.registry.entriesAfter(0).filter((e) => e.source === 'LOCAL');
    for (const ev of await this.propagation.restore(local, this.deps.registry.sequence())) this.deliver(ev);
  }

  /** The first delivery of an owed event, in the background (`idle()` waits for it). */
  private deliver(ev: PropagationEvent): void {
    const started = this.propagation.deliver(ev).then(
      () => undefined,
      () => undefined,
    );
    this.starting.add(started);
    void started.finally(() => this.starting.delete(started));
  }

  /** Starts the `tick()` timer (and runs one tick now) unless `tickMs` is 0. */
  startTimers(): void {
    const ms = this.deps.options?.tickMs ?? 1_000;
    if (ms <= 0 || this.timer !== null) return;
    this.timer = setInterval(() => void this.tick().catch(() => undefined), ms);
    (this.timer as { unref?: () => void }).unref?.();
    void this.tick().catch(() => undefined);
  }

  stop(): void {
    if (this.timer !== null) clearInterval(this.timer);
    this.timer = null;
  }

  /** Retries and completion states of outgoing events; polls, verification requests and health of incoming streams. */
  async tick(): Promise<void> {
    await Promise.all([this.propagation.tick(), this.receiver.tick()]);
  }

  /**
   * Why a new action of `agentId` is DENIED on revocation grounds, or null: its XPID or a
   * mandate naming it is revoked (any source), or (P8.5) a receiver stream is unhealthy and the
   * agent is not registered here, so its status comes only from peers and cannot be confirmed.
   */
  refusal(agentId: string, xpid: string | undefined): string | null {
    const hit = this.deps.registry.check({ agentId, ...(xpid === undefined ? {} : { xpid }) });
    if (hit) return `${hit.kind === 'XPID' ? 'XPID_REVOKED' : 'MANDATE_REVOKED'}: ${hit.kind} \`${hit.id}\` of agent \`${agentId}\` was revoked at ${hit.revoked_at} (${hit.source === 'CAEP' ? `by ${hit.originating_kernel ?? 'a transmitter'}` : 'here'})`;
    if (xpid === undefined) {
      const why = this.receiver.unconfirmed();
      if (why) return `REVOCATION_STATUS_UNCONFIRMED: agent \`${agentId}\` is not registered here and ${why}`;
    }
    return null;
  }

  /** `/healthz` of a federated kernel (transmitters configured, or streams): the incoming streams and whether revocation status is confirmable; null otherwise. */
  health(): { status_confirmable: boolean; reason?: string; streams_out: number; streams_in: StreamHealth[] } | null {
    if (!this.receiver.configured() && this.transmitter.streamCount() === 0) return null;
    const why = this.receiver.unconfirmed();
    return { status_confirmable: why === null, ...(why ? { reason: why } : {}), streams_out: this.transmitter.streamCount(), streams_in: this.receiver.health() };
  }

  /** SSF 1.0 §7.1 transmitter configuration metadata, with endpoints under `origin`. */
  configuration(origin: string): Record<string, unknown> {
    return {
      spec_version: '1_0',
      issuer: this.deps.issuer,
      jwks_uri: `${origin}/.well-known/jwks.json`,
      delivery_methods_supported: [PUSH_METHOD, POLL_METHOD],
      configuration_endpoint: `${origin}/ssf/streams`,
      status_endpoint: `${origin}/ssf/status`,
      verification_endpoint: `${origin}/ssf/verify`,
      authorization_schemes: [{ spec_urn: 'urn:ietf:rfc:6750' }],
      default_subjects: 'ALL',
      kee_events_supported: [...EVENTS_SUPPORTED],
    };
  }
}
