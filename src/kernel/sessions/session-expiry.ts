import type { AuditStore } from '../../ports/storage.ts';
import { DomainError, isDomainError } from '../errors.ts';
import type { AuditRecord, Json, Session, SessionBlock } from '../types.ts';

/** How long a session may live (`KEE_SESSION_MAX_SECONDS`) and stay idle (`KEE_SESSION_IDLE_SECONDS`). */
export type SessionExpiryOptions = {
  /** Longest a session stays open from its SESSION_OPEN, in milliseconds. Default 8 hours. */
  maxMs?: number;
  /** Longest a session stays open after its last record, in milliseconds. Default 30 minutes. */
  idleMs?: number;
};

export const SESSION_EXPIRY_DEFAULTS = { maxMs: 8 * 3600_000, idleMs: 30 * 60_000 } as const;

/** Last-record reads run together while a start recovers the open sessions. */
const RECOVER_READS = 32;

/** What the expiry needs of the kernel. */
export type SessionExpiryPort = {
  store: AuditStore;
  io<T>(op: () => Promise<T>, write: boolean): Promise<T>;
  /** Kernel clock, epoch milliseconds. */
  nowMs(): number;
  /** Appends SESSION_EXPIRED to the session's chain. */
  record(session: Session, fields: Record<string, Json>): Promise<void>;
  /** Closes the session into its signed Session Block, exactly as a caller's close. */
  close(session: Session): Promise<SessionBlock>;
  /** Sessions the kernel manages by other rules (the kernel journal). */
  exempt(session: Session): boolean;
};

type Tracked = { session: Session; createdMs: number; lastMs: number };
export type ExpiryReason = 'MAX_LIFETIME' | 'IDLE';

/**
 * Sessions have a maximum lifetime and an idle timeout: the kernel closes an expired session
 * itself, `SESSION_EXPIRED` (reason, limit, the times it is measured from) then its signed
 * Session Block exactly as a normal close. A decision asked in an expired session is refused
 * with `SESSION_EXPIRED` (the session is closed first). Open sessions found at start (left by a
 * crash or an earlier run) are tracked from their stored records and expired the same way.
 */
export class SessionExpiry {
  private readonly port: SessionExpiryPort;
  readonly options: Required<SessionExpiryOptions>;
  private readonly tracked = new Map<string, Tracked>();
  private readonly expiring = new Map<string, Promise<void>>();
  /** Sessions this kernel expired, so a late call hears SESSION_EXPIRED rather than SESSION_CLOSED. */
  private readonly expired = new Map<string, ExpiryReason>();

  constructor(port: SessionExpiryPort, options: SessionExpiryOptions = {}) {
    this.port = port;
    this.options = { ...SESSION_EXPIRY_DEFAULTS, ...options };
  }

  /** A session just opened (its SESSION_OPEN is durable). */
  opened(session: Session): void {
    if (this.port.exempt(session)) return;
    const created = Date.parse(session.created_at);
    this.tracked.set(session.session_id, { session, createdMs: created, lastMs: created });
  }

  /** A record was written in the session now. */
  touched(sessionId: string): void {
    const t = this.tracked.get(sessionId);
    if (t) t.lastMs = this.port.nowMs();
  }

  /** Sessions tracked (open, not yet expired). */
  trackedCount(): number {
    return this.tracked.size;
  }

  /**
   * Before a decision in `session`: an expired session is closed (if it is not already) and the
   * call refused with SESSION_EXPIRED; a session this kernel expired earlier is refused likewise.
   */
  async check(session: Session): Promise<void> {
    const earlier = this.expired.get(session.session_id);
    if (earlier) throw expiredError(session.session_id, earlier);
    if (session.status !== 'OPEN' || this.port.exempt(session)) return;
    const t = this.tracked.get(session.session_id) ?? (await this.track(session));
    const reason = this.due(t);
    if (!reason) return;
    await this.expire(t, reason);
    throw expiredError(session.session_id, reason);
  }

  /** Closes every tracked session past its limits (run by the kernel's timer). */
  async sweep(): Promise<void> {
    const due: Promise<void>[] = [];
    for (const t of [...this.tracked.values()]) {
      const reason = this.due(t);
      if (reason) due.push(this.expire(t, reason).catch(() => undefined));
    }
    await Promise.all(due);
  }

  /** At start: tracks the open sessions in the store (up to 10,000) from their last record, then sweeps. */
  async recover(): Promise<void> {
    const open = await this.port.io(() => this.port.store.sessionsWithStatus('OPEN', 10_000), false);
    const untracked = open.filter((s) => !this.port.exempt(s) && !this.tracked.has(s.session_id));
    // each session's last record, RECOVER_READS at a time (a start waits for a few round trips, not one per session)
    for (let i = 0; i < untracked.length; i += RECOVER_READS) await Promise.all(untracked.slice(i, i + RECOVER_READS).map((s) => this.track(s)));
    await this.sweep();
  }

  /** A session was closed by its caller: no longer tracked. */
  closed(sessionId: string): void {
    this.tracked.delete(sessionId);
  }

  private async track(session: Session): Promise<Tracked> {
    const last = await this.port.io(() => this.port.store.lastRecord(session.session_id), false);
    const created = Date.parse(session.created_at);
    let lastMs = created;
    if (last) {
      const at = Date.parse(String((JSON.parse(last.canonical) as AuditRecord).timestamp));
      if (Number.isFinite(at)) lastMs = at;
    }
    const t = { session, createdMs: created, lastMs };
    this.tracked.set(session.session_id, t);
    return t;
  }

  private due(t: Tracked): ExpiryReason | null {
    const now = this.port.nowMs();
    if (now - t.createdMs >= this.options.maxMs) return 'MAX_LIFETIME';
    if (now - t.lastMs >= this.options.idleMs) return 'IDLE';
    return null;
  }

  /** SESSION_EXPIRED, then the signed block; concurrent calls share one expiry. */
  private expire(t: Tracked, reason: ExpiryReason): Promise<void> {
    const id = t.session.session_id;
    let p = this.expiring.get(id);
    if (!p) {
      p = (async () => {
        const limit: Record<string, Json> = reason === 'MAX_LIFETIME' ? { max_seconds: this.options.maxMs / 1000 } : { idle_seconds: this.options.idleMs / 1000 };
        try {
          await this.port.record(t.session, { reason, ...limit, opened_at: t.session.created_at, last_activity_at: new Date(t.lastMs).toISOString() });
        } catch (e) {
          // closed meanwhile (by its caller): nothing to expire
          if (isDomainError(e, 'SESSION_CLOSED')) {
            this.tracked.delete(id);
            return;
          }
          throw e;
        }
        this.expired.set(id, reason);
        if (this.expired.size > 10_000) this.expired.delete(this.expired.keys().next().value as string);
        this.tracked.delete(id);
        // a close that cannot be signed now leaves the session CLOSING for the signing monitor
        await this.port.close(t.session);
      })().finally(() => this.expiring.delete(id));
      this.expiring.set(id, p);
    }
    return p;
  }
}

function expiredError(sessionId: string, reason: ExpiryReason): DomainError {
  const why = reason === 'IDLE' ? 'it was idle past its idle timeout' : 'it reached its maximum lifetime';
  return new DomainError('SESSION_EXPIRED', `session \`${sessionId}\` has expired: ${why}; open a new session`, { facts: { session_id: sessionId, reason } });
}
