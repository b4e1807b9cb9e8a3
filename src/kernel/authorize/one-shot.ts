import { isDomainError } from '../errors.ts';
import type { EntityRef, Session } from '../types.ts';
import type { AuthorizeResult } from './decide.ts';

/** A one-shot decision also names the kernel-managed session and the block its record is in. */
export type OneShotResult = AuthorizeResult & { session_id: string; block_id: string };

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
  /** The open session, once its SESSION_OPEN is durable. */
  session: Session | null;
  /** Its opening, shared by concurrent decisions (only where requests may share promises). */
  opening: Promise<Session> | null;
  openedAt: number;
  /** Decisions this session has been given (reserved before they are recorded). */
  records: number;
  inFlight: number;
  retired: boolean;
};

/** How many times a decision is retried in a fresh session when its session was closed under it. */
const ATTEMPTS = 3;
/** Rounds of retrying failed closes in `closeAll`. */
const CLOSE_ROUNDS = 5;

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
  /** Sessions whose close failed: tried again by the next sweep and by `closeAll`. */
  private readonly unclosed = new Set<string>();
  private timer: ReturnType<typeof setInterval> | null = null;
  private readonly shared: boolean;

  /**
   * `shared: false` (workerd, where one request may not await another's promise): a decision
   * never waits on a session another request is opening (it opens its own, closed after use),
   * and each close runs inside the request that triggers it.
   */
  constructor(port: OneShotPort, options: OneShotOptions = {}, shared = true) {
    this.port = port;
    this.options = { ...ONE_SHOT_DEFAULTS, ...options };
    this.shared = shared;
  }

  /**
   * Runs `use` (which records `decisions` decisions) in the current session of `agentId`;
   * retried in a fresh session when the session was closed under it (nothing was recorded).
   */
  async run<T>(agentId: string, decisions: number, use: (session: Session) => Promise<T>): Promise<{ value: T; session: Session }> {
    const mine: Promise<void>[] = [];
    if (this.shared) this.start();
    try {
      for (let attempt = 1; ; attempt++) {
        const m = this.current(agentId, mine);
        m.inFlight++;
        m.records += decisions;
        if (m.records >= this.options.maxRecords) this.retire(m, mine);
        let extra: Session | null = null;
        try {
          const got = await this.acquire(m);
          if (got.extra) extra = got.session;
          return { value: await use(got.session), session: got.session };
        } catch (e) {
          if (isDomainError(e, 'SESSION_CLOSED') && attempt < ATTEMPTS) {
            this.retire(m, mine);
            continue;
          }
          throw e;
        } finally {
          m.inFlight--;
          if (m.retired && m.inFlight === 0) this.closeLater(m, mine);
          if (extra) this.closeSession(extra.session_id, mine);
        }
      }
    } finally {
      if (!this.shared) await Promise.all(mine);
    }
  }

  /** Closes every session past its age (run by the timer, and before each decision). */
  sweep(mine: Promise<void>[] = []): void {
    const now = this.port.nowMs();
    for (const m of [...this.byAgent.values()]) if (now - m.openedAt >= this.options.maxAgeMs) this.retire(m, mine);
    for (const id of [...this.unclosed]) this.closeSession(id, mine);
  }

  /** Closes every kernel-managed session now and waits for their blocks (tests, shutdown). */
  async closeAll(): Promise<void> {
    for (const m of [...this.byAgent.values()]) this.retire(m, []);
    for (let round = 0; round < CLOSE_ROUNDS && (this.closing.size > 0 || this.unclosed.size > 0); round++) {
      while (this.closing.size > 0) await Promise.all([...this.closing]);
      for (const id of [...this.unclosed]) this.closeSession(id, []);
    }
  }

  /** Kernel-managed sessions currently open. */
  openCount(): number {
    return this.byAgent.size;
  }

  /**
   * Starts the age sweep (every quarter of `maxAgeMs`, at least once a second); run by the first
   * one-shot decision where timers outlive requests (not on workerd). The timer does not keep a
   * process alive on its own.
   */
  start(): void {
    if (this.timer !== null) return;
    this.timer = setInterval(() => this.sweep(), Math.max(1000, Math.floor(this.options.maxAgeMs / 4)));
    (this.timer as { unref?: () => void }).unref?.();
  }

  stop(): void {
    if (this.timer !== null) clearInterval(this.timer);
    this.timer = null;
  }

  private current(agentId: string, mine: Promise<void>[]): Managed {
    this.sweep(mine);
    const found = this.byAgent.get(agentId);
    if (found) return found;
    while (this.byAgent.size >= this.options.maxOpen) {
      const oldest = this.byAgent.values().next().value as Managed;
      this.retire(oldest, mine);
    }
    const m: Managed = { agentId, session: null, opening: null, openedAt: this.port.nowMs(), records: 0, inFlight: 0, retired: false };
    this.byAgent.set(agentId, m);
    return m;
  }

  /** The managed session, opened on first use; `extra` when this call had to open one of its own. */
  private async acquire(m: Managed): Promise<{ session: Session; extra: boolean }> {
    if (m.session) return { session: m.session, extra: false };
    if (this.shared) {
      m.opening ??= this.port.open(m.agentId).then((s) => (m.session = s));
      try {
        return { session: await m.opening, extra: false };
      } catch (e) {
        // a session that failed to open is forgotten: the next decision tries again
        m.opening = null;
        if (this.byAgent.get(m.agentId) === m && m.session === null) this.byAgent.delete(m.agentId);
        throw e;
      }
    }
    const session = await this.port.open(m.agentId);
    if (m.session === null && !m.retired) {
      m.session = session;
      return { session, extra: false };
    }
    return { session, extra: true };
  }

  private retire(m: Managed, mine: Promise<void>[]): void {
    if (this.byAgent.get(m.agentId) === m) this.byAgent.delete(m.agentId);
    if (m.retired) return;
    m.retired = true;
    if (m.inFlight === 0) this.closeLater(m, mine);
  }

  private closeLater(m: Managed, mine: Promise<void>[]): void {
    if (m.session) this.closeSession(m.session.session_id, mine);
    else if (m.opening) {
      const opening = m.opening;
      this.track(null, opening.then((s) => this.closeSession(s.session_id, mine)), mine);
    }
  }

  private closeSession(sessionId: string, mine: Promise<void>[]): void {
    this.unclosed.delete(sessionId);
    this.track(sessionId, this.port.close(sessionId), mine);
  }

  /**
   * Keeps a close until it settles. A failed close (e.g. the signer is out: the session stays
   * CLOSING and the signing monitor completes it; or the block log index was taken by
   * concurrent closes) is tried again by the next sweep and by `closeAll`.
   */
  private track(sessionId: string | null, close: Promise<unknown>, mine: Promise<void>[]): void {
    const done: Promise<void> = close
      .then(
        () => undefined,
        () => void (sessionId === null ? undefined : this.unclosed.add(sessionId)),
      )
      .finally(() => this.closing.delete(done));
    this.closing.add(done);
    mine.push(done);
  }
}
