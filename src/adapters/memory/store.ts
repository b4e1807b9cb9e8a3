import { DomainError } from '../../kernel/errors.ts';
import type { Session, SessionBlock, SessionStatus } from '../../kernel/types.ts';
import type { AuditStore, StoredRecord } from '../../ports/storage.ts';

/** In-memory AuditStore for tests and `createApp` without a database. Not durable. */
export class MemoryStore implements AuditStore {
  private readonly sessions = new Map<string, Session>();
  private readonly records = new Map<string, StoredRecord[]>();
  private readonly blocks = new Map<string, SessionBlock>();
  /** When set, every call rejects: lets tests simulate an unreachable store. */
  failWith: Error | null = null;

  private check(): void {
    if (this.failWith) throw new DomainError('GAR_UNAVAILABLE', 'the audit store is unavailable', { cause: this.failWith });
  }

  async createSession(session: Session, first: StoredRecord): Promise<void> {
    this.check();
    if (this.sessions.has(session.session_id)) throw new DomainError('CONFLICT', `session \`${session.session_id}\` exists`);
    this.sessions.set(session.session_id, { ...session });
    this.records.set(session.session_id, [{ ...first }]);
  }

  async getSession(sessionId: string): Promise<Session | null> {
    this.check();
    const s = this.sessions.get(sessionId);
    return s ? { ...s } : null;
  }

  async lastRecord(sessionId: string): Promise<StoredRecord | null> {
    this.check();
    const list = this.records.get(sessionId) ?? [];
    const last = list[list.length - 1];
    return last ? { ...last } : null;
  }

  async appendRecord(record: StoredRecord, status?: SessionStatus): Promise<void> {
    this.check();
    const list = this.records.get(record.sessionId);
    const session = this.sessions.get(record.sessionId);
    if (!list || !session) throw new DomainError('SESSION_NOT_FOUND', `no session \`${record.sessionId}\``);
    if (list.some((r) => r.aleSeq === record.aleSeq)) throw new DomainError('CONFLICT', `record ${record.aleSeq} exists`);
    list.push({ ...record });
    if (status) session.status = status;
  }

  async listRecords(sessionId: string): Promise<StoredRecord[]> {
    this.check();
    return (this.records.get(sessionId) ?? []).map((r) => ({ ...r })).sort((a, b) => a.aleSeq - b.aleSeq);
  }

  async storeBlock(block: SessionBlock): Promise<void> {
    this.check();
    const session = this.sessions.get(block.session_id);
    if (!session) throw new DomainError('SESSION_NOT_FOUND', `no session \`${block.session_id}\``);
    if (this.blocks.has(block.block_id)) throw new DomainError('CONFLICT', `block \`${block.block_id}\` exists`);
    this.blocks.set(block.block_id, structuredClone(block));
    session.status = 'CLOSED';
  }

  async getBlock(blockId: string): Promise<SessionBlock | null> {
    this.check();
    const b = this.blocks.get(blockId);
    return b ? structuredClone(b) : null;
  }

  /** Test hook: direct access to a session's stored records (to tamper with them). */
  rawRecords(sessionId: string): StoredRecord[] {
    return this.records.get(sessionId) ?? [];
  }
}
