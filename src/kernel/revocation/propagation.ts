/**
 * Completion state of each revocation event this kernel originates (digest §2.8 item 4, choice
 * 5.20): CLEAN once every receiver stream acknowledged its SET (push 202, poll ack), PARTIAL
 * when some had not within `ackTimeoutMs` (30 s; they are retried with exponential backoff
 * capped at 30 s, and the event becomes CLEAN when the last one acknowledges), UNKNOWN when the
 * receivers cannot be enumerated (the kernel is federated but no enabled stream exists, or a
 * stream is paused / disabled) or a receiver can no longer be told (its stream deleted or
 * disabled, its SET expired): operator alert and audit alert. Unacknowledged at `alertAfterMs`
 * (60 s): operator alert. Each state is a `REVOCATION_PROPAGATION` record.
 *
 * Nothing is lost on a restart: `owe()` stores the event's SETs in the outbox (outbox.ts) before
 * the revocation is answered, acknowledgements, drops and states follow, and `restore()` rebuilds
 * the events, the poll queues (same jti, same bytes) and the push retries from it.
 * Time comes from the kernel clock; `tick()` does the timed work (a timer runs it; tests call it).
 */
import type { AlertSink } from '../../ports/alert.ts';
import type { Telemetry } from '../../ports/telemetry.ts';
import type { KernelJournal } from '../audit/journal.ts';
import type { RevocationEntry } from '../credentials/revocations.ts';
import type { Json } from '../types.ts';
import type { Outbox, OutboxEntry } from './outbox.ts';
import { POLL_METHOD, type Stream } from './streams.ts';
import type { Transmitter } from './transmitter.ts';

export type PropagationState = 'PENDING' | 'CLEAN' | 'PARTIAL' | 'UNKNOWN';

type Receiver = { stream: Stream; sets: Map<string, string>; acked: Set<string>; ackedAtMs: number | null; attempts: number; nextRetryMs: number; dropped: string | null };

export type PropagationEvent = {
  event_id: string;
  kind: string;
  id: string;
  startedMs: number;
  /** Past it, SETs still unacknowledged are dropped (operator alert, REVOCATION_ALERT). */
  expiresMs: number;
  state: PropagationState;
  receivers: Map<string, Receiver>;
  alerted: boolean;
  /** Settled CLEAN after having been PARTIAL. */
  afterRetry: boolean;
  /** Why the receivers cannot be enumerated at the start (UNKNOWN), or null. */
  unknownWhy: string | null;
  /** Not federated and no receiver: CLEAN at once. */
  lone: boolean;
  /** The `seq` of its `owed` outbox document. */
  outboxSeq: number;
  /** The last state stored in the outbox (null: none yet). */
  storedState: PropagationState | null;
};

export type PropagationView = { event_id: string; kind: string; id: string; state: PropagationState; started_at: string; after_retry: boolean; receivers: { stream_id: string; aud: string; method: string; acknowledged: boolean; acked_ms: number | null; attempts: number }[] };

export type PropagationDeps = {
  transmitter: Transmitter;
  outbox: Outbox;
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
  /** How long after the revocation a SET stays owed unacknowledged (default 30 days). */
  maxAgeMs?: number | undefined;
};

const RETRY_CAP_MS = 30_000;
export const OUTBOX_MAX_AGE_MS = 30 * 24 * 3600_000;

export class Propagation {
  private readonly deps: PropagationDeps;
  private readonly events = new Map<string, PropagationEvent>();
  /** SET jti → event id, for poll acks. */
  private readonly bySet = new Map<string, string>();
  /** LOCAL entries whose outbox write failed: owed again at the next tick. */
  private readonly unowed = new Map<string, RevocationEntry>();

  constructor(deps: PropagationDeps) {
    this.deps = deps;
  }

  /** The events still tracked (states other than CLEAN / UNKNOWN) and the last 1,000 settled ones. */
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

  /** Propagates a LOCAL registry entry: `owe` (durable), then `deliver`. */
  async start(entry: RevocationEntry): Promise<PropagationEvent> {
    const ev = await this.owe(entry);
    await this.deliver(ev);
    return ev;
  }

  /**
   * Signs the entry's SET for every receiver stream and stores them in the outbox: resolves once
   * durable (the revocation is answered after it). A failed write rejects, and the entry is owed
   * again at the next tick (and at the next start: see `restore`).
   */
  async owe(entry: RevocationEntry, startedMs = this.deps.nowMs()): Promise<PropagationEvent> {
    const { transmitter } = this.deps;
    const eventId = entry.event_id ?? `${entry.kind}:${entry.id}`;
    try {
      const streams = await transmitter.receiversOf(entry);
      const inactive = transmitter.hasInactiveStreams();
      const lone = streams.length === 0 && !inactive && !this.deps.federated();
      const unknownWhy = lone || (streams.length > 0 && !inactive) ? null : streams.length === 0 ? 'no enabled SSF stream: the receivers cannot be enumerated' : 'a paused or disabled SSF stream: its receiver cannot be told';
      const expiresMs = startedMs + (this.deps.maxAgeMs ?? OUTBOX_MAX_AGE_MS);
      const ev: PropagationEvent = { event_id: eventId, kind: entry.kind, id: entry.id, startedMs, expiresMs, state: 'PENDING', receivers: new Map(), alerted: false, afterRetry: false, unknownWhy, lone, outboxSeq: 0, storedState: null };
      const sets = [];
      for (const stream of streams) {
        const { jti, token } = await transmitter.setOf(stream, entry);
        sets.push({ stream_id: stream.config.stream_id, aud: stream.config.aud, method: stream.config.delivery.method, jti, token });
        ev.receivers.set(stream.config.stream_id, { stream, sets: new Map([[jti, token]]), acked: new Set(), ackedAtMs: null, attempts: 0, nextRetryMs: 0, dropped: null });
      }
      ev.outboxSeq = await this.deps.outbox.append({ op: 'owed', event_id: eventId, kind: entry.kind, id: entry.id, registry_seq: entry.seq, started_ms: startedMs, expires_ms: expiresMs, sets });
      this.unowed.delete(eventId);
      for (const s of sets) this.bySet.set(s.jti, eventId);
      this.events.set(eventId, ev);
      this.prune();
      return ev;
    } catch (e) {
      this.unowed.set(eventId, entry);
      throw e;
    }
  }

  /** The first delivery of an owed event: a SET to every receiver stream, pushed now or queued for the poll. */
  deliver(ev: PropagationEvent): Promise<void> {
    return this.deps.telemetry.span('soos.revocation.propagate', { attributes: { 'soos.revocation.event_id': ev.event_id, 'soos.revocation.kind': ev.kind, 'soos.revocation.receivers': ev.receivers.size } }, async (span) => {
      if (ev.lone) await this.settle(ev, 'CLEAN');
      else if (ev.unknownWhy !== null) await this.unknown(ev, ev.unknownWhy);
      await Promise.all([...ev.receivers.values()].map((r) => this.send(ev, r)));
      span.setAttributes({ 'soos.revocation.state': ev.state });
    });
  }

  /**
   * Rebuilds the events of the outbox (at start, before any request): acknowledged SETs stay
   * acknowledged, the others go back into their poll queues (same jti and bytes) or are pushed
   * again at the next tick; a stream gone or disabled drops its SETs. `local` are the LOCAL
   * registry entries: those after the outbox's baseline that no event covers (a crash between
   * the registry write and the outbox write) are owed now, as from their `revoked_at`; their
   * events are returned, for the caller to `deliver` without holding up the start.
   *
   * It reads from the outbox's latest checkpoint (outbox.ts), and moves the checkpoint past the
   * events it finds settled, so that the next start reads only what is still live.
   */
  async restore(local: RevocationEntry[], registrySeq: number): Promise<PropagationEvent[]> {
    const { checkpoint, entries } = await this.deps.outbox.start();
    // documents appended from here on by other instances are not tracked: the checkpoint stays before them
    const readEnd = this.deps.outbox.lastSeq();
    // a checkpoint covers the baseline: LOCAL entries up to its registry_seq are owed
    let baseline: number | null = checkpoint?.registry_seq ?? null;
    const seen = new Set<string>();
    for (const { seq, entry: e } of entries) {
      if (e.op === 'baseline') baseline ??= e.registry_seq;
      if (e.op === 'owed') seen.add(e.event_id);
      this.apply(e, true, seq);
    }
    if (baseline === null) {
      // the first start with an outbox: what was revoked before it is not owed
      await this.deps.outbox.append({ op: 'baseline', registry_seq: entries.length === 0 ? registrySeq : 0 });
      baseline = entries.length === 0 ? registrySeq : 0;
    }
    for (const ev of this.events.values()) {
      for (const r of ev.receivers.values()) if (r.ackedAtMs === null && r.dropped === null && r.stream.config.delivery.method === POLL_METHOD) await this.send(ev, r);
      // every SET acknowledged (or none owed), and the process ended before the state's record
      if (ev.state !== 'PENDING' && ev.state !== 'PARTIAL') continue;
      if (ev.receivers.size === 0 && this.deps.federated()) await this.unknown(ev, 'no enabled SSF stream: the receivers cannot be enumerated');
      else if ([...ev.receivers.values()].every((r) => r.ackedAtMs !== null)) await this.settle(ev, 'CLEAN');
    }
    const owed: PropagationEvent[] = [];
    for (const entry of local) {
      const eventId = entry.event_id ?? `${entry.kind}:${entry.id}`;
      if (entry.seq <= baseline || seen.has(eventId)) continue;
      owed.push(await this.owe(entry, Date.parse(entry.revoked_at)));
    }
    this.prune();
    await this.sweep();
    // an event of an entry newer than the registry read here (another instance's) stays read, settled or not
    const newer = entries.find(({ entry: e }) => e.op === 'owed' && e.registry_seq > registrySeq)?.seq ?? readEnd + 1;
    await this.checkpoint(Math.min(newer, readEnd + 1), registrySeq);
    return owed;
  }

  /**
   * Moves the outbox checkpoint to the first `owed` document of an event still live, never past
   * `limit` (the first `owed` document of an entry past `registrySeq`, which a later start must
   * see owed, or the first document this start did not read: other instances' entries since are
   * not tracked here). Every LOCAL entry up to `registrySeq` is owed by now (`restore` owed those
   * no event covered).
   */
  private async checkpoint(limit: number, registrySeq: number): Promise<void> {
    let fromSeq = limit;
    for (const ev of this.events.values()) if (ev.outboxSeq < fromSeq && !this.settled(ev)) fromSeq = ev.outboxSeq;
    await this.deps.outbox.advance({ from_seq: fromSeq, registry_seq: registrySeq });
  }

  /** CLEAN or UNKNOWN with nothing left to deliver, and its state stored: a start need not replay it. */
  private settled(ev: PropagationEvent): boolean {
    return ev.storedState === ev.state && (ev.state === 'CLEAN' || ev.state === 'UNKNOWN') && [...ev.receivers.values()].every((r) => r.ackedAtMs !== null || r.dropped !== null);
  }

  /** Applies a stored outbox entry (`restoring`: at start, all of them; later, those of other instances: acks and drops). */
  apply(e: OutboxEntry, restoring = false, seq = 0): void {
    if (e.op === 'owed' && restoring) {
      const ev: PropagationEvent = { event_id: e.event_id, kind: e.kind, id: e.id, startedMs: e.started_ms, expiresMs: e.expires_ms, state: 'PENDING', receivers: new Map(), alerted: false, afterRetry: false, unknownWhy: null, lone: false, outboxSeq: seq, storedState: null };
      for (const s of e.sets) {
        // a stream gone since: its SETs are dropped by the sweep that follows
        const stream = this.deps.transmitter.streamOf(s.stream_id) ?? { config: { stream_id: s.stream_id, iss: '', aud: s.aud, events_supported: [], events_requested: [], events_delivered: [], delivery: { method: s.method }, min_verification_interval: 1 }, status: 'disabled' as const };
        ev.receivers.set(s.stream_id, { stream, sets: new Map([[s.jti, s.token]]), acked: new Set(), ackedAtMs: null, attempts: 0, nextRetryMs: 0, dropped: null });
        this.bySet.set(s.jti, e.event_id);
      }
      this.events.delete(e.event_id);
      this.events.set(e.event_id, ev);
      return;
    }
    const ev = 'event_id' in e ? this.events.get(e.event_id) : undefined;
    if (!ev) return;
    if (e.op === 'ack' || e.op === 'drop') {
      const r = ev.receivers.get(e.stream_id);
      if (!r) return;
      this.bySet.delete(e.jti);
      if (e.op === 'drop') {
        r.dropped = e.reason;
        if (!restoring) this.deps.transmitter.unqueue(e.stream_id, e.jti);
        return;
      }
      r.acked.add(e.jti);
      if (!restoring) this.deps.transmitter.unqueue(e.stream_id, e.jti);
      if (r.ackedAtMs === null && r.acked.size >= r.sets.size) r.ackedAtMs = e.acked_ms;
    } else if (e.op === 'state' && restoring) {
      ev.state = e.state as PropagationState;
      ev.storedState = ev.state;
      ev.afterRetry = e.after_retry;
      ev.alerted = e.alerted;
    }
  }

  /** A poll receiver acknowledged SET `jti`: stored, then counted. */
  async pollAck(streamId: string, jti: string): Promise<void> {
    const eventId = this.bySet.get(jti);
    const ev = eventId === undefined ? undefined : this.events.get(eventId);
    const r = ev?.receivers.get(streamId);
    if (!ev || !r) return;
    await this.deps.outbox.append({ op: 'ack', event_id: ev.event_id, stream_id: streamId, jti, acked_ms: this.deps.nowMs() });
    r.acked.add(jti);
    this.bySet.delete(jti);
    await this.checkAcked(ev, r);
  }

  /** Stream `streamId` was deleted or disabled: the SETs it is owed are dropped. */
  async streamGone(streamId: string, why: string): Promise<void> {
    for (const ev of this.events.values()) {
      const r = ev.receivers.get(streamId);
      if (r && r.ackedAtMs === null && r.dropped === null) await this.drop(ev, r, why);
    }
  }

  /** Owes what failed to be stored, retries due deliveries, moves events past 30 s to PARTIAL, alerts at 60 s, drops expired SETs. */
  async tick(): Promise<void> {
    for (const entry of [...this.unowed.values()]) {
      try {
        await this.deliver(await this.owe(entry, Date.parse(entry.revoked_at)));
      } catch {
        // the store is still failing: next tick
      }
    }
    await this.sweep(true);
  }

  private async sweep(send = false): Promise<void> {
    const now = this.deps.nowMs();
    const live = [...this.events.values()].filter((ev) => ev.state !== 'CLEAN' && [...ev.receivers.values()].some((r) => r.ackedAtMs === null && r.dropped === null));
    if (live.length > 0) await this.deps.transmitter.loadStreams();
    for (const ev of live) {
      const open = [...ev.receivers.values()].filter((r) => r.ackedAtMs === null && r.dropped === null);
      if (now >= ev.expiresMs) {
        for (const r of open) await this.drop(ev, r, `unacknowledged since ${new Date(ev.startedMs).toISOString()}: expired at ${new Date(ev.expiresMs).toISOString()}`);
        continue;
      }
      const deliverable: Receiver[] = [];
      for (const r of open) {
        const current = this.deps.transmitter.streamOf(r.stream.config.stream_id);
        if (!current || current.status === 'disabled') await this.drop(ev, r, current ? 'its stream is disabled' : 'its stream was deleted');
        else if (current.status === 'enabled') {
          r.stream = current;
          deliverable.push(r);
        }
      }
      const age = now - ev.startedMs;
      if (ev.state === 'PENDING' && age >= this.deps.ackTimeoutMs && open.some((r) => r.dropped === null)) await this.settle(ev, 'PARTIAL');
      const still = open.filter((r) => r.dropped === null);
      if (!ev.alerted && age >= this.deps.alertAfterMs && still.length > 0) {
        ev.alerted = true;
        await this.saveState(ev);
        await this.alert('REVOCATION_UNACKNOWLEDGED', `revocation event ${ev.event_id} (${ev.kind} ${ev.id}) is unacknowledged by ${still.length} receiver(s) after ${Math.round(age / 1000)} s: ${still.slice(0, 5).map((r) => `${r.stream.config.aud} (stream ${r.stream.config.stream_id})`).join(', ')}${still.length > 5 ? ', …' : ''}`, ev);
      }
      if (send) await Promise.all(deliverable.filter((r) => r.stream.config.delivery.method !== POLL_METHOD && r.nextRetryMs <= now).map((r) => this.send(ev, r)));
    }
  }

  private async send(ev: PropagationEvent, r: Receiver): Promise<void> {
    r.attempts++;
    r.nextRetryMs = this.deps.nowMs() + Math.min(1000 * 2 ** (r.attempts - 1), RETRY_CAP_MS);
    for (const [jti, token] of r.sets) {
      if (r.acked.has(jti)) continue;
      if (!(await this.deps.transmitter.deliver(r.stream, jti, token))) continue;
      try {
        await this.deps.outbox.append({ op: 'ack', event_id: ev.event_id, stream_id: r.stream.config.stream_id, jti, acked_ms: this.deps.nowMs() });
        r.acked.add(jti);
        this.bySet.delete(jti);
      } catch {
        // not stored: pushed again later (receivers take a SET twice by its jti)
      }
    }
    await this.checkAcked(ev, r);
  }

  /** Drops the SETs owed to receiver `r`, never silently: a drop entry each, REVOCATION_ALERT, the operator alert, and UNKNOWN. */
  private async drop(ev: PropagationEvent, r: Receiver, why: string): Promise<void> {
    const streamId = r.stream.config.stream_id;
    const jtis = [...r.sets.keys()].filter((j) => !r.acked.has(j));
    for (const jti of jtis) {
      await this.deps.outbox.append({ op: 'drop', event_id: ev.event_id, stream_id: streamId, jti, reason: why });
      this.deps.transmitter.unqueue(streamId, jti);
      this.bySet.delete(jti);
    }
    r.dropped = why;
    await this.unknown(ev, `the SET owed to stream ${streamId}${r.stream.config.aud ? ` (${r.stream.config.aud})` : ''} is dropped unacknowledged: ${why}`, { stream_id: streamId, jtis });
  }

  private async checkAcked(ev: PropagationEvent, r: Receiver): Promise<void> {
    if (r.ackedAtMs !== null || r.acked.size < r.sets.size) return;
    r.ackedAtMs = this.deps.nowMs();
    if (ev.state === 'UNKNOWN') return;
    if ([...ev.receivers.values()].every((x) => x.ackedAtMs !== null)) await this.settle(ev, 'CLEAN');
  }

  /** A REVOCATION_PROPAGATION record, then the state in the outbox (a crash between them repeats the record at the next start, never loses it). */
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
    await this.saveState(ev);
  }

  private async saveState(ev: PropagationEvent): Promise<void> {
    try {
      const state = ev.state;
      await this.deps.outbox.append({ op: 'state', event_id: ev.event_id, state, after_retry: ev.afterRetry, alerted: ev.alerted });
      ev.storedState = state;
    } catch {
      // the journal record is the evidence; a restart recomputes the state from the acks
    }
  }

  private async unknown(ev: PropagationEvent, why: string, dropped?: { stream_id: string; jtis: string[] }): Promise<void> {
    ev.alerted = true;
    if (ev.state !== 'UNKNOWN') await this.settle(ev, 'UNKNOWN');
    await this.record('REVOCATION_ALERT', { severity: 'CRITICAL', event_id: ev.event_id, completion_state: 'UNKNOWN', detail: why, ...(dropped ? { dropped_stream_id: dropped.stream_id, dropped_jtis: dropped.jtis } : {}) });
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

  /** Keeps at most 1,000 settled events (CLEAN, or UNKNOWN with nothing left to deliver). */
  private prune(): void {
    if (this.events.size <= 1000) return;
    for (const [id, ev] of this.events) {
      if (this.events.size <= 1000) return;
      const done = [...ev.receivers.values()].every((r) => r.ackedAtMs !== null || r.dropped !== null);
      if (done && (ev.state === 'CLEAN' || ev.state === 'UNKNOWN')) this.events.delete(id);
    }
  }
}
