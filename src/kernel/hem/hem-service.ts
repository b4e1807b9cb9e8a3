import type { AlertSink } from '../../ports/alert.ts';
import type { Clock } from '../../ports/clock.ts';
import type { AuditStore } from '../../ports/storage.ts';
import type { Telemetry } from '../../ports/telemetry.ts';
import type { KernelJournal } from '../audit/journal.ts';
import { documentRange } from '../documents/read-range.ts';
import { DomainError, isDomainError } from '../errors.ts';
import { canonicalJson } from '../jcs.ts';
import { Mutex } from '../policy/mutex.ts';
import type { AuthorizationRequest, Json, Session } from '../types.ts';
import { HEM_DOCUMENT_KIND, parseEvent, refOf, type Escalation, type HemAnswer, type HemEvent, type HemStatus } from './escalation.ts';

export type HemDeps = {
  store: AuditStore;
  clock: Clock;
  journal: KernelJournal;
  telemetry: Telemetry;
  alerts?: AlertSink;
  kernelId: string;
  io: <T>(op: () => Promise<T>, write: boolean) => Promise<T>;
  /** Seconds an escalation waits for an approver before it resolves as TIMEOUT_DENY. */
  timeoutS: number;
  /** Appends wait their turn (false on workerd, where they retry on a taken sequence instead). */
  queue?: boolean;
};

/** What the approvers' event stream (`GET /v1/hem/events`) carries. */
export type HemNotice = { event: 'HEM_TRIGGERED' | 'HEM_RESOLVED'; escalation: Escalation };

/**
 * An escalation a DENY opens (new) or names again (a PENDING one for the same session and
 * intent). `opened` is set when another request planned the same escalation and is still opening
 * it: the answer waits for it, so it never names an escalation that was not recorded.
 */
export type PlannedEscalation = { escalation: Escalation; isNew: boolean; opened?: Promise<Escalation> };

type Opening = { escalation: Escalation; promise: Promise<Escalation>; resolve: (e: Escalation) => void; reject: (e: unknown) => void };

/**
 * Human escalations (HEM, docs/hem.md). A DENY determined by a forbid policy annotated
 * `@hem("<class>")` opens one; an approver (operator token with the `approver` role) approves
 * or rejects it; with no answer before `expires_at` it resolves as TIMEOUT_DENY (lazily on
 * every read, and by a timer). Each change is a kernel journal record (`HEM_TRIGGERED`,
 * `HEM_RESOLVED`) and an entry of the HEM event log (stored documents `hem_event`), from which
 * the escalations are rebuilt at start and brought up to date before every answer.
 */
export class HemService {
  private readonly deps: HemDeps;
  private readonly byId = new Map<string, Escalation>();
  /** PENDING escalations by session, policy and intent: a DENY asked again names the same one. */
  private readonly pendingByIntent = new Map<string, string>();
  /** Every PENDING escalation (an overdue one may have lost its intent slot to a newer one). */
  private readonly pendingIds = new Set<string>();
  /**
   * Escalations planned by a DENY whose record is not durable yet, by intent: a concurrent DENY
   * of the same intent names the same escalation instead of opening a second one.
   */
  private readonly opening = new Map<string, Opening>();
  private seq = 0;
  private readonly listeners = new Set<(n: HemNotice) => void>();
  private timer: ReturnType<typeof setTimeout> | null = null;
  private timers = false;
  /** One log append at a time in this instance: concurrent escalations would race for each sequence. */
  private readonly appends: Mutex | null;

  constructor(deps: HemDeps) {
    this.deps = deps;
    this.appends = deps.queue === false ? null : new Mutex({ queue: true });
  }

  /** Replays the stored HEM event log from where this registry stands. */
  async refresh(): Promise<void> {
    const { store, io } = this.deps;
    const latest = await io(() => store.latestDocument(HEM_DOCUMENT_KIND), false);
    if (!latest) return;
    for await (const { seq, doc } of documentRange({ store, io }, HEM_DOCUMENT_KIND, this.seq + 1, latest)) {
      if (!doc) throw new DomainError('AUDIT_TAMPERED', `the HEM event log lacks entry ${seq}`);
      this.apply(parseEvent(doc.body, seq));
    }
  }

  /** Escalations (newest first), optionally of one status; overdue ones are resolved TIMEOUT_DENY first. */
  async list(status?: HemStatus): Promise<Escalation[]> {
    await this.current();
    return [...this.byId.values()].filter((e) => status === undefined || e.status === status).reverse();
  }

  /** One escalation, up to date; NOT_FOUND when no escalation has this id. */
  async read(hemId: string): Promise<Escalation> {
    await this.current();
    const e = this.byId.get(hemId);
    if (!e) throw new DomainError('NOT_FOUND', `no escalation has the id \`${hemId}\``);
    return e;
  }

  /**
   * The escalation a retry names, checked against the retry: same session, same agent, same
   * principal, action and resource as the DENY that opened it. Throws NOT_FOUND or
   * HEM_MISMATCH otherwise.
   */
  async forRetry(session: Session, request: AuthorizationRequest): Promise<Escalation> {
    const hemId = request.hem_id as string;
    const e = await this.read(hemId);
    const same = (a: { type: string; id: string }, b: { type: string; id: string }) => a.type === b.type && a.id === b.id;
    if (e.session_id !== session.session_id || e.agent_id !== session.agent_id) {
      throw new DomainError('HEM_MISMATCH', `escalation \`${hemId}\` belongs to another session or agent`);
    }
    if (!same(e.principal, request.principal) || !same(e.action, request.action) || !same(e.resource, request.resource)) {
      throw new DomainError('HEM_MISMATCH', `escalation \`${hemId}\` was opened for another principal, action or resource`);
    }
    return e;
  }

  /**
   * The escalation a DENY determined by `policyId` (annotated `@hem(hemClass)`) opens: the PENDING
   * escalation of the same session and intent if there is one, else a new one (opened by `open`
   * once the DENY record is durable). Synchronous: called in the decision's turn.
   */
  plan(session: Session, request: AuthorizationRequest, policyId: string, hemClass: string): PlannedEscalation {
    const key = intentKey(session.session_id, policyId, request);
    const inFlight = this.opening.get(key);
    if (inFlight) return { escalation: inFlight.escalation, isNew: false, opened: inFlight.promise };
    const pendingId = this.pendingByIntent.get(key);
    const pending = pendingId === undefined ? undefined : this.byId.get(pendingId);
    if (pending && pending.status === 'PENDING' && !this.overdue(pending)) return { escalation: pending, isNew: false };
    const now = this.deps.clock.nowIso();
    const planned: PlannedEscalation = {
      isNew: true,
      escalation: {
        hem_id: `hem-${crypto.randomUUID()}`,
        hem_class: hemClass,
        status: 'PENDING',
        created_at: now,
        expires_at: new Date(Date.parse(now) + this.deps.timeoutS * 1000).toISOString(),
        session_id: session.session_id,
        block_id: session.block_id,
        agent_id: session.agent_id,
        principal: request.principal,
        action: request.action,
        resource: request.resource,
        cedar_policy_id: policyId,
        ale_seq: 0,
        resolution: null,
      },
    };
    let settle: Pick<Opening, 'resolve' | 'reject'> | undefined;
    const promise = new Promise<Escalation>((resolve, reject) => (settle = { resolve, reject }));
    promise.catch(() => undefined); // observed by the requests that wait for it, if any
    this.opening.set(key, { escalation: planned.escalation, promise, ...(settle as Pick<Opening, 'resolve' | 'reject'>) });
    return planned;
  }

  /**
   * A planned escalation that will not be opened (its DENY record failed): requests waiting for
   * it fail too, and the next DENY of that intent plans a new one. No-op once it was opened.
   */
  abandon(planned: Escalation, cause: unknown): void {
    const key = intentKey(planned.session_id, planned.cedar_policy_id, planned);
    const inFlight = this.opening.get(key);
    if (inFlight?.escalation.hem_id !== planned.hem_id) return;
    this.opening.delete(key);
    inFlight.reject(cause);
  }

  /** Opens a planned escalation: `HEM_TRIGGERED` in the kernel journal, span `soos.hem.trigger`, the log entry; then notifies. */
  async open(planned: Escalation, session: Session, aleSeq: number, xpid?: string): Promise<Escalation> {
    const key = intentKey(planned.session_id, planned.cedar_policy_id, planned);
    const inFlight = this.opening.get(key);
    try {
      const escalation = await this.record(planned, session, aleSeq, xpid);
      if (inFlight?.escalation.hem_id === planned.hem_id) inFlight.resolve(escalation);
      return escalation;
    } catch (e) {
      if (inFlight?.escalation.hem_id === planned.hem_id) inFlight.reject(e);
      throw e;
    } finally {
      if (this.opening.get(key)?.escalation.hem_id === planned.hem_id) this.opening.delete(key);
    }
  }

  private async record(planned: Escalation, session: Session, aleSeq: number, xpid?: string): Promise<Escalation> {
    const escalation: Escalation = { ...planned, ale_seq: aleSeq };
    await this.deps.telemetry.span('soos.hem.trigger', { traceId: session.block_id }, async (span) => {
      span.setAttributes({
        'soos.governance.kernel_id': this.deps.kernelId,
        'soos.governance.session_id': session.session_id,
        'soos.governance.hem_class': escalation.hem_class,
        'soos.governance.hem_resolution': 'PENDING',
        'soos.hem.id': escalation.hem_id,
        'soos.cap.cedar_policy_id': escalation.cedar_policy_id,
        ...(xpid === undefined ? {} : { 'soos.governance.xpid': xpid }),
      });
      await this.deps.journal.record('HEM_TRIGGERED', {
        hem_id: escalation.hem_id,
        hem_class: escalation.hem_class,
        hem_resolution: 'PENDING',
        agent_session_id: session.session_id,
        agent_block_id: session.block_id,
        agent_id: session.agent_id,
        principal: escalation.principal,
        action: escalation.action,
        resource: escalation.resource,
        cedar_policy_id: escalation.cedar_policy_id,
        decision_ale_seq: aleSeq,
        expires_at: escalation.expires_at,
      });
      await this.append((seq) => ({ seq, event: 'TRIGGERED', escalation }), escalation.hem_id, escalation.created_at);
    });
    this.schedule();
    this.notify({ event: 'HEM_TRIGGERED', escalation });
    return escalation;
  }

  /**
   * An approver's answer: `HEM_RESOLVED` (approver = the operator token's `sub`, time, comment)
   * in the kernel journal, span `soos.hem.resolve`. CONFLICT when the escalation is resolved
   * already (a late answer to an escalation that timed out included).
   */
  async resolve(hemId: string, answer: HemAnswer, approver: string, comment: string | null): Promise<Escalation> {
    const e = await this.read(hemId);
    if (e.status !== 'PENDING') throw new DomainError('CONFLICT', `escalation \`${hemId}\` is resolved already (${e.status})`);
    return this.finish(e, answer, approver, comment);
  }

  /** Resolves every PENDING escalation past its `expires_at` as TIMEOUT_DENY. */
  async expireDue(): Promise<void> {
    for (const e of this.pending()) {
      if (this.overdue(e)) {
        try {
          await this.finish(e, 'TIMEOUT_DENY', null, null);
        } catch (err) {
          // another instance resolved it first: the log now says how
          if (!isDomainError(err, 'CONFLICT')) throw err;
        }
      }
    }
  }

  /** Listens to triggers and resolutions (the SSE stream); returns the unsubscribe function. */
  subscribe(listener: (n: HemNotice) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Lets the expiry timer run (not on workerd, where timers do not outlive requests). */
  startTimers(): void {
    this.timers = true;
    this.schedule();
  }

  stop(): void {
    this.timers = false;
    if (this.timer !== null) clearTimeout(this.timer);
    this.timer = null;
  }

  private async current(): Promise<void> {
    await this.refresh();
    await this.expireDue();
  }

  /** The PENDING escalations (through the index: reads do not scan resolved ones). */
  private pending(): Escalation[] {
    return [...this.pendingIds].map((id) => this.byId.get(id)).filter((e): e is Escalation => e !== undefined && e.status === 'PENDING');
  }

  private overdue(e: Escalation): boolean {
    return Date.parse(this.deps.clock.nowIso()) >= Date.parse(e.expires_at);
  }

  private async finish(e: Escalation, status: Exclude<HemStatus, 'PENDING'>, approver: string | null, comment: string | null): Promise<Escalation> {
    const resolved_at = this.deps.clock.nowIso();
    const done: Escalation = { ...e, status, resolution: { approver, resolved_at, comment } };
    await this.deps.telemetry.span('soos.hem.resolve', { traceId: e.block_id }, async (span) => {
      span.setAttributes({
        'soos.governance.kernel_id': this.deps.kernelId,
        'soos.governance.session_id': e.session_id,
        'soos.governance.hem_class': e.hem_class,
        'soos.governance.hem_resolution': status,
        'soos.hem.id': e.hem_id,
      });
      // the log entry first: it is what says the escalation is resolved (a concurrent answer gets CONFLICT)
      await this.append((seq) => ({ seq, event: 'RESOLVED', hem_id: e.hem_id, status, approver, resolved_at, comment }), e.hem_id, resolved_at, () => {
        const now = this.byId.get(e.hem_id);
        if (now && now.status !== 'PENDING') throw new DomainError('CONFLICT', `escalation \`${e.hem_id}\` is resolved already (${now.status})`);
      });
      const fields: Record<string, Json> = { hem_id: e.hem_id, hem_class: e.hem_class, hem_resolution: status, approver, resolved_at, agent_session_id: e.session_id, agent_id: e.agent_id };
      if (comment !== null) fields.comment = comment;
      await this.deps.journal.record('HEM_RESOLVED', fields);
    });
    this.notify({ event: 'HEM_RESOLVED', escalation: done });
    return done;
  }

  /** Appends a log entry at the next sequence; retries after another instance took it (re-checking with `recheck`). */
  private async append(make: (seq: number) => HemEvent, docId: string, createdAt: string, recheck?: () => void): Promise<void> {
    if (this.appends) return this.appends.run(() => this.appendOnce(make, docId, createdAt, recheck));
    return this.appendOnce(make, docId, createdAt, recheck);
  }

  private async appendOnce(make: (seq: number) => HemEvent, docId: string, createdAt: string, recheck?: () => void): Promise<void> {
    recheck?.();
    for (let attempt = 1; ; attempt++) {
      const event = make(this.seq + 1);
      try {
        await this.deps.io(() => this.deps.store.putDocument({ kind: HEM_DOCUMENT_KIND, seq: event.seq, docId, body: canonicalJson(event as unknown as Json), createdAt }), true);
        this.apply(event);
        return;
      } catch (e) {
        if (!isDomainError(e, 'CONFLICT') || attempt >= 5) throw e;
        await this.refresh();
        recheck?.();
      }
    }
  }

  private apply(event: HemEvent): void {
    this.seq = event.seq;
    if (event.event === 'TRIGGERED') {
      const e = event.escalation;
      this.byId.set(e.hem_id, e);
      this.pendingByIntent.set(intentKey(e.session_id, e.cedar_policy_id, e), e.hem_id);
      this.pendingIds.add(e.hem_id);
      return;
    }
    const e = this.byId.get(event.hem_id);
    if (!e) throw new DomainError('AUDIT_TAMPERED', `the HEM event log resolves an unknown escalation \`${event.hem_id}\``);
    const key = intentKey(e.session_id, e.cedar_policy_id, e);
    if (this.pendingByIntent.get(key) === e.hem_id) this.pendingByIntent.delete(key);
    this.pendingIds.delete(e.hem_id);
    this.byId.set(e.hem_id, { ...e, status: event.status, resolution: { approver: event.approver, resolved_at: event.resolved_at, comment: event.comment } });
  }

  private notify(notice: HemNotice): void {
    for (const l of this.listeners) {
      try {
        l(notice);
      } catch {
        // a broken listener (a closed stream) must not stop the others
      }
    }
    const { escalation: e } = notice;
    const alert = this.deps.alerts?.alert({
      alert: notice.event,
      severity: notice.event === 'HEM_TRIGGERED' ? 'warning' : 'info',
      at: this.deps.clock.nowIso(),
      kernel_id: this.deps.kernelId,
      threshold: null,
      participants: null,
      available_count: null,
      unavailable_participants: [],
      culprit_participants: [],
      eta: e.status === 'PENDING' ? e.expires_at : null,
      detail: notice.event === 'HEM_TRIGGERED' ? `escalation ${e.hem_id} (${e.hem_class}) waits for an approver until ${e.expires_at}` : `escalation ${e.hem_id} (${e.hem_class}) resolved ${e.status}`,
      escalation: refOf(e),
    });
    if (alert instanceof Promise) alert.catch(() => undefined);
  }

  /** Arms the timer for the earliest PENDING expiry. */
  private schedule(): void {
    if (!this.timers) return;
    if (this.timer !== null) clearTimeout(this.timer);
    this.timer = null;
    const pending = this.pending().map((e) => Date.parse(e.expires_at));
    if (pending.length === 0) return;
    const delay = Math.max(0, Math.min(...pending) - Date.parse(this.deps.clock.nowIso()));
    this.timer = setTimeout(() => {
      this.timer = null;
      this.current()
        .catch(() => undefined)
        .finally(() => this.schedule());
    }, Math.min(Math.max(delay + 10, 1000), 2_147_483_647));
    (this.timer as { unref?: () => void }).unref?.();
  }
}

function intentKey(sessionId: string, policyId: string, r: Pick<AuthorizationRequest, 'principal' | 'action' | 'resource'>): string {
  return JSON.stringify([sessionId, policyId, r.principal.type, r.principal.id, r.action.type, r.action.id, r.resource.type, r.resource.id]);
}
