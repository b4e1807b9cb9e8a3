import { DomainError } from '../../kernel/errors.ts';
import type { Session, SessionBlock, SessionStatus } from '../../kernel/types.ts';
import type { AuditStore, BlockLogLeaf, StatusChange, StoredDocument, StoredRecord } from '../../ports/storage.ts';

/** In-memory AuditStore for tests. Not durable. Runs the same contract suite as the real ones. */
export class MemoryStore implements AuditStore {
  private readonly sessions = new Map<string, Session>();
  private readonly records = new Map<string, StoredRecord[]>();
  private readonly blocks = new Map<string, SessionBlock>();
  private readonly log: BlockLogLeaf[] = [];
  private readonly documents: StoredDocument[] = [];
  /** When set, every call rejects with GAR_UNAVAILABLE: simulates an unreachable store. */
  failWith: Error | null = null;

  private check(): void {
    if (this.failWith) throw new DomainError('GAR_UNAVAILABLE', 'the audit store is unavailable', { cause: this.failWith });
  }

  async createSession(session: Session, first: StoredRecord): Promise<void> {
    this.check();
    if (this.sessions.has(session.session_id) || [...this.sessions.values()].some((s) => s.block_id === session.block_id)) {
      throw new DomainError('CONFLICT', `session \`${session.session_id}\` exists`);
    }
    this.sessions.set(session.session_id, { ...session });
    this.records.set(session.session_id, [{ ...first }]);
  }

  async getSession(sessionId: string): Promise<Session | null> {
    this.check();
    const s = this.sessions.get(sessionId);
    return s ? { ...s } : null;
  }

  async sessionsWithStatus(status: SessionStatus, limit: number): Promise<Session[]> {
    this.check();
    return [...this.sessions.values()].filter((s) => s.status === status).slice(0, limit).map((s) => ({ ...s }));
  }

  async lastRecord(sessionId: string): Promise<StoredRecord | null> {
    this.check();
    const list = this.records.get(sessionId) ?? [];
    let last: StoredRecord | null = null;
    for (const r of list) if (!last || r.aleSeq > last.aleSeq) last = r;
    return last ? { ...last } : null;
  }

  async appendRecords(records: readonly StoredRecord[], statuses: readonly StatusChange[] = []): Promise<void> {
    this.check();
    // validate everything first: all or none
    const seen = new Set<string>();
    for (const r of records) {
      const list = this.records.get(r.sessionId);
      if (!list) throw new DomainError('CONFLICT', `no session \`${r.sessionId}\``);
      const key = `${r.sessionId}/${r.aleSeq}`;
      if (seen.has(key) || list.some((x) => x.aleSeq === r.aleSeq)) throw new DomainError('CONFLICT', `record ${key} exists`);
      seen.add(key);
    }
    for (const r of records) (this.records.get(r.sessionId) as StoredRecord[]).push({ ...r });
    for (const s of statuses) {
      const session = this.sessions.get(s.sessionId);
      if (session) session.status = s.status;
    }
  }

  async listRecords(sessionId: string): Promise<StoredRecord[]> {
    this.check();
    return (this.records.get(sessionId) ?? []).map((r) => ({ ...r })).sort((a, b) => a.aleSeq - b.aleSeq);
  }

  async setSessionStatus(sessionId: string, status: SessionStatus): Promise<void> {
    this.check();
    const s = this.sessions.get(sessionId);
    if (s) s.status = status;
  }

  async storeBlock(block: SessionBlock, leaf: BlockLogLeaf): Promise<void> {
    this.check();
    const session = this.sessions.get(block.session_id);
    if (!session) throw new DomainError('CONFLICT', `no session \`${block.session_id}\``);
    if (this.blocks.has(block.block_id)) throw new DomainError('CONFLICT', `block \`${block.block_id}\` exists`);
    if (leaf.index !== this.log.length) throw new DomainError('CONFLICT', `block log index ${leaf.index} is not the next (${this.log.length})`);
    this.blocks.set(block.block_id, structuredClone(block));
    this.log.push({ ...leaf });
    session.status = 'CLOSED';
  }

  async getBlock(blockId: string): Promise<SessionBlock | null> {
    this.check();
    const b = this.blocks.get(blockId);
    return b ? structuredClone(b) : null;
  }

  async blockLogSize(): Promise<number> {
    this.check();
    return this.log.length;
  }

  async blockLogLeaves(from: number, to: number): Promise<BlockLogLeaf[]> {
    this.check();
    return this.log.slice(from, to).map((l) => ({ ...l }));
  }

  async blockLogLeaf(blockId: string): Promise<BlockLogLeaf | null> {
    this.check();
    const l = this.log.find((x) => x.blockId === blockId);
    return l ? { ...l } : null;
  }

  async putDocument(doc: StoredDocument): Promise<void> {
    this.check();
    if (this.documents.some((d) => d.kind === doc.kind && d.seq === doc.seq)) throw new DomainError('CONFLICT', `document ${doc.kind}/${doc.seq} exists`);
    this.documents.push({ ...doc });
  }

  async latestDocument(kind: string): Promise<StoredDocument | null> {
    this.check();
    let last: StoredDocument | null = null;
    for (const d of this.documents) if (d.kind === kind && (!last || d.seq > last.seq)) last = d;
    return last ? { ...last } : null;
  }

  async getDocument(kind: string, seq: number): Promise<StoredDocument | null> {
    this.check();
    const d = this.documents.find((x) => x.kind === kind && x.seq === seq);
    return d ? { ...d } : null;
  }

  async listDocuments(kind: string, fromSeq: number, limit: number): Promise<StoredDocument[]> {
    this.check();
    return this.documents
      .filter((d) => d.kind === kind && d.seq >= fromSeq)
      .sort((a, b) => a.seq - b.seq)
      .slice(0, limit)
      .map((d) => ({ ...d }));
  }

  /** Test hook: direct access to a stored document (to tamper with it). */
  rawDocument(kind: string, seq: number): StoredDocument | undefined {
    return this.documents.find((x) => x.kind === kind && x.seq === seq);
  }

  /** Test hook: direct access to a session's stored records (to tamper with them). */
  rawRecords(sessionId: string): StoredRecord[] {
    return this.records.get(sessionId) ?? [];
  }

  /** Test hook: every session. */
  allSessions(): Session[] {
    return [...this.sessions.values()].map((x) => ({ ...x }));
  }

  /** Test hook: direct access to a stored block (to tamper with it). */
  rawBlock(blockId: string): SessionBlock | undefined {
    return this.blocks.get(blockId);
  }

  /** Test hook: direct access to a block-log leaf (to tamper with it). */
  rawLogLeaf(index: number): BlockLogLeaf | undefined {
    return this.log[index];
  }
}
