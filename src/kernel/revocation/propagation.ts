/**
 * Completion state of each revocation event this kernel originates (digest §2.8 item 4, choice
 * 5.20): CLEAN once every receiver stream acknowledged its SET (push 202, poll ack), PARTIAL
 * when some had not within `ackTimeoutMs` (30 s; they are retried with exponential backoff
 * capped at 30 s, and the event becomes CLEAN when the last one acknowledges), UNKNOWN when the
 * receivers cannot be enumerated (the kernel is federated but no enabled stream exists, or a
 * stream is paused / disabled): operator alert and audit alert. Unacknowledged at
 * `alertAfterMs` (60 s): operator alert. Each state is a `REVOCATION_PROPAGATION` record.
 * Time comes from the kernel clock; `tick()` does the timed work (a timer runs it; tests call it).
 */
import type { AlertSink } from '../../ports/alert.ts';
import type { Telemetry } from '../../ports/telemetry.ts';
import type { KernelJournal } from '../audit/journal.ts';
import type { RevocationEntry } from '../credentials/revocations.ts';
import type { Json } from '../types.ts';
import type { Stream } from './streams.ts';
import type { Transmitter } from './transmitter.ts';

export type PropagationState = 'PENDING' | 'CLEAN' | 'PARTIAL' | 'UNKNOWN';

type Receiver = { stream: Stream; sets: Map<string, string>; acked: Set<string>; ackedAtMs: number | null; attempts: number; nextRetryMs: number };

export type PropagationEvent = {
  event_id: string;
  kind: string;
  id: string;
  startedMs: number;
  state: PropagationState;
  receivers: Map<string, Receiver>;
  alerted: boolean;
  /** Settled CLEAN after having been PARTIAL. */
  afterRetry: boolean;
};

export type PropagationView = { event_id: string; kind: string; id: string; state: PropagationState; started_at: string; after_retry: boolean; receivers: { stream_id: string; aud: string; method: string; acknowledged: boolean; acked_ms: number | null; attempts: number }[] };

export type PropagationDeps = {
  transmitter: Transmitter;
  journal: KernelJournal;
  alerts?: AlertSink | undefined;
  telemetry: Telemetry;
  kernelId: string;
  nowMs: () => number;
  nowIso: () => string;
  /** Whether this kernel is federated (configured transmitters or streams): without it, an event with no receiver is CLEAN. */
  federated: () => boolean;
  ackTimeoutMs: number;
  alertAfterMs: number;
};

const RETRY_CAP_MS = 30_000;

export class Propagation {
  private readonly deps: PropagationDeps;
  private readonly events = new Map<string, PropagationEvent>();
  /** SET jti → event id, for poll acks. */
  private readonly bySet = new Map<string, string>();

  constructor(deps: PropagationDeps) {
    this.deps = deps;
  }

  /** The events still tracked (states other than CLEAN / UNKNOWN) and the last 100 settled ones. */
  view(eventId?: string): PropagationView[] {
    const all = [...this.events.values()].filter((e) => eventId === undefined || e.event_id === eventId);
    return all.map((e) => ({
      event_id: e.event_id,
      kind: e.kind,
      id: e.id,
      state: e.state,
      started_at: new Date(e.startedMs).toISOString(),
      after_retry: e.afterRetry,
      receivers: [...e.receivers.values()].map((r) => ({ stream_id: r.stream.config.stream_id, aud: r.stream.config.aud, method: r.stream.config.delivery.method, acknowledged: r.ackedAtMs !== null, acked_ms: r.ackedAtMs === null ? null : r.ackedAtMs - e.startedMs, attempts: r.attempts })),
    }));
  }

  /** Starts propagating a LOCAL registry entry: a SET to every receiver stream, pushed now. */
  async start(entry: RevocationEntry): Promise<PropagationEvent> {
    const { transmitter, telemetry } = this.deps;
    const eventId = entry.event_id ?? `${entry.kind}:${entry.id}`;
    const streams = await transmitter.receiversOf(entry);
    const ev: PropagationEvent = { event_id: eventId, kind: entry.kind, id: entry.id, startedMs: this.deps.nowMs(), state: 'PENDING', receivers: new Map(), alerted: false, afterRetry: false };
    this.events.set(eventId, ev);
    this.prune();
    return telemetry.span('soos.revocation.propagate', { attributes: { 'soos.revocation.event_id': eventId, 'soos.revocation.kind': entry.kind, 'soos.revocation.receivers': streams.length } }, async (span) => {
      if (streams.length === 0 || transmitter.hasInactiveStreams()) {
        if (streams.length === 0 && !this.deps.federated()) {
          await this.settle(ev, 'CLEAN');
        } else {
          await this.unknown(ev, streams.length === 0 ? 'no enabled SSF stream: the receivers cannot be enumerated' : 'a paused or disabled SSF stream: its receiver cannot be told');
        }
      }
      for (const stream of streams) {
        const { jti, token } = await transmitter.setOf(stream, entry);
        this.bySet.set(jti, eventId);
        ev.receivers.set(stream.config.stream_id, { stream, sets: new Map([[jti, token]]), acked: new Set(), ackedAtMs: null, attempts: 0, nextRetryMs: 0 });
      }
      await Promise.all([...ev.receivers.values()].map((r) => this.send(ev, r)));
      span.setAttributes({ 'soos.revocation.state': ev.state });
      return ev;
    });
  }

  /** A poll receiver acknowledged SET `jti`. */
  async pollAck(streamId: string, jti: string): Promise<void> {
    const eventId = this.bySet.get(jti);
    const ev = eventId === undefined ? undefined : this.events.get(eventId);
    const r = ev?.receivers.get(streamId);
    if (!ev || !r) return;
    r.acked.add(jti);
    this.bySet.delete(jti);
    await this.checkAcked(ev, r);
  }

  /** Retries due deliveries, moves events past 30 s to PARTIAL, alerts at 60 s. */
  async tick(): Promise<void> {
    const now = this.deps.nowMs();
    for (const ev of this.events.values()) {
      if (ev.state === 'CLEAN') continue;
      const open = [...ev.receivers.values()].filter((r) => r.ackedAtMs === null);
      if (open.length === 0) continue;
      const age = now - ev.startedMs;
      if (ev.state === 'PENDING' && age >= this.deps.ackTimeoutMs) await this.settle(ev, 'PARTIAL');
      if (!ev.alerted && age >= this.deps.alertAfterMs) {
        ev.alerted = true;
        await this.alert('REVOCATION_UNACKNOWLEDGED', `revocation event ${ev.event_id} (${ev.kind} ${ev.id}) is unacknowledged by ${open.length} receiver(s) after ${Math.round(age / 1000)} s: ${open.slice(0, 5).map((r) => `${r.stream.config.aud} (stream ${r.stream.config.stream_id})`).join(', ')}${open.length > 5 ? ', …' : ''}`, ev);
      }
      await Promise.all(open.filter((r) => r.stream.config.delivery.method !== 'urn:ietf:rfc:8936' && r.nextRetryMs <= now).map((r) => this.send(ev, r)));
    }
  }

  private async send(ev: PropagationEvent, r: Receiver): Promise<void> {
    r.attempts++;
    r.nextRetryMs = this.deps.nowMs() + Math.min(1000 * 2 ** (r.attempts - 1), RETRY_CAP_MS);
    for (const [jti, token] of r.sets) {
      if (r.acked.has(jti)) continue;
      if (await this.deps.transmitter.deliver(r.stream, jti, token)) r.acked.add(jti);
    }
    await this.checkAcked(ev, r);
  }

  private async checkAcked(ev: PropagationEvent, r: Receiver): Promise<void> {
    if (r.ackedAtMs !== null || r.acked.size < r.sets.size) return;
    r.ackedAtMs = this.deps.nowMs();
    if (ev.state === 'UNKNOWN') return;
    if ([...ev.receivers.values()].every((x) => x.ackedAtMs !== null)) await this.settle(ev, 'CLEAN');
  }

  private async settle(ev: PropagationEvent, state: PropagationState): Promise<void> {
    const retried = ev.state === 'PARTIAL';
    ev.state = state;
    if (retried && state === 'CLEAN') ev.afterRetry = true;
    await this.record('REVOCATION_PROPAGATION', {
      event_id: ev.event_id,
      completion_state: state,
      revoked_kind: ev.kind,
      revoked_id: ev.id,
      elapsed_ms: this.deps.nowMs() - ev.startedMs,
      ...(retried ? { after_retry: true } : {}),
      receivers: this.view(ev.event_id)[0]?.receivers as unknown as Json,
    });
  }

  private async unknown(ev: PropagationEvent, why: string): Promise<void> {
    await this.settle(ev, 'UNKNOWN');
    ev.alerted = true;
    await this.record('REVOCATION_ALERT', { severity: 'CRITICAL', event_id: ev.event_id, completion_state: 'UNKNOWN', detail: why });
    await this.alert('REVOCATION_UNKNOWN', `revocation event ${ev.event_id} (${ev.kind} ${ev.id}) is UNKNOWN: ${why}`, ev);
  }

  private async alert(alert: 'REVOCATION_UNKNOWN' | 'REVOCATION_UNACKNOWLEDGED', detail: string, ev: PropagationEvent): Promise<void> {
    try {
      await this.deps.alerts?.alert({ alert, severity: 'critical', at: this.deps.nowIso(), kernel_id: this.deps.kernelId, threshold: null, participants: null, available_count: null, unavailable_participants: [], culprit_participants: [], eta: null, detail, event_id: ev.event_id });
    } catch {
      // sinks must not throw; a failing one never stops propagation
    }
  }

  /** A journal record; a failing store has already set SUSPENDED_GAR, and propagation goes on. */
  private async record(type: string, fields: Record<string, Json>): Promise<void> {
    try {
      await this.deps.journal.record(type, fields);
    } catch {
      // recorded as GAR_UNAVAILABLE by the audit log
    }
  }

  /** Keeps at most 1,000 settled events. */
  private prune(): void {
    if (this.events.size <= 1000) return;
    for (const [id, ev] of this.events) {
      if (this.events.size <= 1000) return;
      if (ev.state === 'CLEAN') this.events.delete(id);
    }
  }
}
