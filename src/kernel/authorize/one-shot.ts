import { isDomainError } from '../errors.ts';
import type { EntityRef, Session } from '../types.ts';

/** When a kernel-managed session is closed into its Session Block. */
export type OneShotOptions = {
  /** Decisions recorded in one kernel-managed session before it is closed. Default 1,000. */
  maxRecords?: number;
  /** Longest a kernel-managed session stays open, in milliseconds. Default 60,000. */
  maxAgeMs?: number;
  /** Kernel-managed sessions open at once (one per principal); the oldest is closed past it. Default 1,000. */
  maxOpen?: number;
};

export const ONE_SHOT_DEFAULTS = { maxRecords: 1000, maxAgeMs: 60_000, maxOpen: 1000 } as const;

/** What the manager needs from the kernel. */
export type OneShotPort = {
  open(agentId: string): Promise<Session>;
  /** Closes into a signed Session Block (idempotent); a failure leaves it to the signing monitor. */
  close(sessionId: string): Promise<unknown>;
  /** Kernel clock, epoch milliseconds. */
  nowMs(): number;
};

type Managed = {
  agentId: string;
  session: Promise<Session>;
  openedAt: number;
  /** Decisions this session has been given (reserved before they are recorded). */
  records: number;
  inFlight: number;
  retired: boolean;
};

/** How many times a decision is retried in a fresh session when its session was closed under it. */
const ATTEMPTS = 3;

/** The agent id of the kernel-managed session of `principal`: its Cedar uid, e.g. `Agent::"a1"`. */
export function oneShotAgentId(principal: EntityRef): string {
  return `${principal.type}::${JSON.stringify(principal.id)}`;
}

/**
 * Kernel-managed sessions for one-shot decisions (`POST /v1/authorize`): one open session per
 * principal, opened on its first decision and closed into a signed Session Block after
 * `maxRecords` decisions, after `maxAgeMs`, or when more than `maxOpen` are open (the oldest
 * first), so every one-shot record becomes provable in an audit package. A session is closed
 * only once the decisions given to it are recorded. Anyone may also close one early with
 * `POST /v1/sessions/{id}/close`: the next decision opens a fresh one.
 */
export class OneShotSessions {
  private readonly port: OneShotPort;
  private readonly options: Required<OneShotOptions>;
  private readonly byAgent = new Map<string, Managed>();
  private readonly closing = new Set<Promise<void>>();
  private timer: ReturnType<typeof setInterval> | null = null;

  constructor(port: OneShotPort, options: OneShotOptions = {}) {
    this.port = port;
    this.options = { ...ONE_SHOT_DEFAULTS, ...options };
  }

  /**
   * Runs `use` (which records `decisions` decisions) in the current session of `agentId`;
   * retried in a fresh session when the session was closed under it (nothing was recorded).
   */
  async run<T>(agentId: string, decisions: number, use: (session: Session) => Promise<T>): Promise<{ value: T; session: Session }> {
    for (let attempt = 1; ; attempt++) {
      const m = this.current(agentId);
      m.inFlight++;
      m.records += decisions;
      if (m.records >= this.options.maxRecords) this.retire(m);
      try {
        const session = await m.session;
        return { value: await use(session), session };
      } catch (e) {
        if (isDomainError(e, 'SESSION_CLOSED') && attempt < ATTEMPTS) {
          this.retire(m);
          continue;
        }
        throw e;
      } finally {
        m.inFlight--;
        if (m.retired && m.inFlight === 0) this.closeLater(m);
      }
    }
  }

  /** Closes every session past its age (run by the timer, and before each decision). */
  sweep(): void {
    const now = this.port.nowMs();
    for (const m of [...this.byAgent.values()]) if (now - m.openedAt >= this.options.maxAgeMs) this.retire(m);
  }

  /** Closes every kernel-managed session now and waits for their blocks (tests, shutdown). */
  async closeAll(): Promise<void> {
    for (const m of [...this.byAgent.values()]) this.retire(m);
    while (this.closing.size > 0) await Promise.all([...this.closing]);
  }

  /** Kernel-managed sessions currently open. */
  openCount(): number {
    return this.byAgent.size;
  }

  /** Starts the age sweep (every quarter of `maxAgeMs`, at least once a second). */
  start(): void {
    this.timer ??= setInterval(() => this.sweep(), Math.max(1000, Math.floor(this.options.maxAgeMs / 4)));
  }

  stop(): void {
    if (this.timer !== null) clearInterval(this.timer);
    this.timer = null;
  }

  private current(agentId: string): Managed {
    this.sweep();
    const found = this.byAgent.get(agentId);
    if (found) return found;
    while (this.byAgent.size >= this.options.maxOpen) {
      const oldest = this.byAgent.values().next().value as Managed;
      this.retire(oldest);
    }
    const m: Managed = { agentId, session: this.port.open(agentId), openedAt: this.port.nowMs(), records: 0, inFlight: 0, retired: false };
    // a session that failed to open is forgotten: the next decision tries again
    m.session.catch(() => {
      if (this.byAgent.get(agentId) === m) this.byAgent.delete(agentId);
    });
    this.byAgent.set(agentId, m);
    return m;
  }

  private retire(m: Managed): void {
    if (this.byAgent.get(m.agentId) === m) this.byAgent.delete(m.agentId);
    if (m.retired) return;
    m.retired = true;
    if (m.inFlight === 0) this.closeLater(m);
  }

  private closeLater(m: Managed): void {
    const done: Promise<void> = m.session
      .then((s) => this.port.close(s.session_id))
      .then(
        () => undefined,
        () => undefined, // a session that never opened, or a close the signing monitor completes later
      )
      .finally(() => this.closing.delete(done));
    this.closing.add(done);
  }
}
