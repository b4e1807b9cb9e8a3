import type { Session, SessionBlock, SessionStatus } from '../../kernel/types.ts';
import type { AuditStore, BlockLogLeaf, StatusChange, StoredDocument, StoredRecord } from '../../ports/storage.ts';

/** Sessions kept at most; past it the cache starts over (sessions left open forever). */
const MAX_CACHED_SESSIONS = 10_000;

/**
 * The sessions a sole-writer store knows, as committed. Every write that changes a session's row
 * goes through that store, which forgets the session when it sends the write; a read's answer is
 * kept only if no such write of its session was sent after the read. (The worker store serves
 * calls in order, so there a read sent after a write answers what the write left, committed or
 * not; a store that does not, `SessionCachingStore`, also keeps no read begun while a write of
 * the session was in flight.)
 */
export class SessionCache {
  private readonly known = new Map<string, Session>();
  /** Per session, a counter bumped by every write sent that changes its row. */
  private readonly writes = new Map<string, number>();
  /** Bumped by `clear`: no answer to a read sent before it is kept. */
  private epoch = 0;

  get(sessionId: string): Session | undefined {
    return this.known.get(sessionId);
  }

  /** Before a read is sent: what `fill` needs to know whether a write overtook it. */
  reading(sessionId: string): Seen {
    return { sessionId, writes: this.writes.get(sessionId) ?? 0, epoch: this.epoch };
  }

  /** Before a write of the session's row is sent: forgets the session until it is read again. */
  writing(sessionId: string): Seen {
    if (this.writes.size >= MAX_CACHED_SESSIONS && !this.writes.has(sessionId)) this.clear();
    this.known.delete(sessionId);
    const n = (this.writes.get(sessionId) ?? 0) + 1;
    this.writes.set(sessionId, n);
    return { sessionId, writes: n, epoch: this.epoch };
  }

  /** Keeps `session` as read (or created) if no later write of its row was sent meanwhile. */
  fill(seen: Seen, session: Session): void {
    if (seen.epoch !== this.epoch || (this.writes.get(seen.sessionId) ?? 0) !== seen.writes) return;
    if (this.known.size >= MAX_CACHED_SESSIONS) this.known.clear();
    this.known.set(seen.sessionId, session);
  }

  /** Forgets everything, including what reads and writes in flight would tell. */
  clear(): void {
    this.known.clear();
    this.writes.clear();
    this.epoch++;
  }
}

export type Seen = { sessionId: string; writes: number; epoch: number };

/**
 * An AuditStore that is the only writer of its database (an embedded file under the store lock),
 * keeping the sessions it created or read in memory: the read every authorization and TOOL_RESULT
 * makes is then answered without touching the database. A write of a session's row forgets the
 * session; a read is kept only if no write of its session was in flight when it began, nor sent
 * before it ended. Everything else goes to `inner` unchanged.
 */
export class SessionCachingStore implements AuditStore {
  private readonly inner: AuditStore;
  private readonly cache = new SessionCache();
  /** Writes of a session's row sent and not yet settled. */
  private readonly inFlight = new Map<string, number>();

  constructor(inner: AuditStore) {
    this.inner = inner;
  }

  async getSession(sessionId: string): Promise<Session | null> {
    const known = this.cache.get(sessionId);
    if (known) return { ...known };
    const quiet = !this.inFlight.has(sessionId);
    const seen = this.cache.reading(sessionId);
    const s = await this.inner.getSession(sessionId);
    if (s && quiet) this.cache.fill(seen, { ...s });
    return s;
  }

  async createSession(session: Session, first: StoredRecord): Promise<void> {
    const quiet = !this.inFlight.has(session.session_id);
    const seen = await this.writing([session.session_id], () => this.inner.createSession(session, first));
    if (quiet && seen[0]) this.cache.fill(seen[0], { ...session });
  }

  async appendRecords(records: readonly StoredRecord[], statuses: readonly StatusChange[] = []): Promise<void> {
    if (statuses.length === 0) return this.inner.appendRecords(records, statuses);
    await this.writing(statuses.map((s) => s.sessionId), () => this.inner.appendRecords(records, statuses));
  }

  async setSessionStatus(sessionId: string, status: SessionStatus): Promise<void> {
    await this.writing([sessionId], () => this.inner.setSessionStatus(sessionId, status));
  }

  async storeBlock(block: SessionBlock, leaf: BlockLogLeaf): Promise<void> {
    await this.writing([block.session_id], () => this.inner.storeBlock(block, leaf));
  }

  /** Runs a write of the sessions' rows: each is forgotten now, and counted in flight until it settles. */
  private async writing(sessionIds: readonly string[], write: () => Promise<void>): Promise<Seen[]> {
    const seen = sessionIds.map((sid) => {
      this.inFlight.set(sid, (this.inFlight.get(sid) ?? 0) + 1);
      return this.cache.writing(sid);
    });
    try {
      await write();
      return seen;
    } finally {
      for (const sid of sessionIds) {
        const n = (this.inFlight.get(sid) ?? 1) - 1;
        if (n > 0) this.inFlight.set(sid, n);
        else this.inFlight.delete(sid);
      }
    }
  }

  sessionsWithStatus(status: SessionStatus, limit: number): Promise<Session[]> {
    return this.inner.sessionsWithStatus(status, limit);
  }

  lastRecord(sessionId: string): Promise<StoredRecord | null> {
    return this.inner.lastRecord(sessionId);
  }

  listRecords(sessionId: string): Promise<StoredRecord[]> {
    return this.inner.listRecords(sessionId);
  }

  getBlock(blockId: string): Promise<SessionBlock | null> {
    return this.inner.getBlock(blockId);
  }

  blockLogSize(): Promise<number> {
    return this.inner.blockLogSize();
  }

  blockLogLeaves(from: number, to: number): Promise<BlockLogLeaf[]> {
    return this.inner.blockLogLeaves(from, to);
  }

  blockLogLeaf(blockId: string): Promise<BlockLogLeaf | null> {
    return this.inner.blockLogLeaf(blockId);
  }

  putDocument(doc: StoredDocument): Promise<void> {
    return this.inner.putDocument(doc);
  }

  latestDocument(kind: string): Promise<StoredDocument | null> {
    return this.inner.latestDocument(kind);
  }

  getDocument(kind: string, seq: number): Promise<StoredDocument | null> {
    return this.inner.getDocument(kind, seq);
  }

  listDocuments(kind: string, fromSeq: number, limit: number): Promise<StoredDocument[]> {
    return this.inner.listDocuments(kind, fromSeq, limit);
  }
}
