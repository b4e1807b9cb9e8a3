import type { AuditStore } from '../../ports/storage.ts';
import { isDomainError } from '../errors.ts';
import type { AuditRecord, Json, Session, SessionBlock } from '../types.ts';
import type { AuditLog } from './audit-log.ts';

/** The agent id of the kernel journal's sessions. */
export const JOURNAL_AGENT_ID = 'kee-kernel';
/** Documents that index the journal's blocks: one per journal block, `seq` = `journal_seq`. */
export const JOURNAL_DOC_KIND = 'kernel_journal';

/** When a journal block is sealed (besides shutdown). */
export type JournalOptions = {
  /** Longest a journal block stays open, in milliseconds (`KEE_JOURNAL_BLOCK_SECONDS`). Default 60,000. */
  blockMs?: number;
  /** Most records in one journal block (`KEE_JOURNAL_BLOCK_RECORDS`). Default 10,000. */
  blockRecords?: number;
};

export const JOURNAL_DEFAULTS = { blockMs: 60_000, blockRecords: 10_000 } as const;

/** Why a journal block was sealed (`seal_reason` of its SESSION_COMPLETE). */
export type SealReason = 'size' | 'time' | 'shutdown' | 'recovered';

/** What the journal needs of the kernel. */
export type JournalPort = {
  log: AuditLog;
  store: AuditStore;
  /** A store call through the audit log (SUSPENDED_GAR on failure). */
  io<T>(op: () => Promise<T>, write: boolean): Promise<T>;
  /** Kernel clock, epoch milliseconds. */
  nowMs(): number;
  /** A fresh block id (OTel trace id). */
  newBlockId(): string;
  /** A fresh session id. */
  newSessionId(): string;
  /** Creates the kernel session of a claimed journal block (its SESSION_OPEN with these fields); CONFLICT if it exists. */
  open(ids: { sessionId: string; blockId: string }, fields: Record<string, Json>): Promise<Session>;
  /** Closes a session into its signed Session Block, with these SESSION_COMPLETE fields (`retryMs`: how long to wait for a signer that is out; default the close's). */
  seal(session: Session, fields: Record<string, Json>, retryMs?: number): Promise<SessionBlock>;
  /** false where requests may not await one another (workerd): no shared opening promise. */
  shared?: boolean;
};

/** The journal's index entry of one block, as stored (`kernel_journal` document body): claimed before its session exists. */
export type JournalEntry = { journal_seq: number; session_id: string; block_id: string; prev_journal_block_id: string | null };

type Current = { entry: JournalEntry; session: Session; openedAt: number; records: number; inFlight: number };

/**
 * The kernel's own chained sessions, for records that belong to no agent session:
 * `KERNEL_AUDIT_ANOMALY` (chain gaps, tamper found on read, signing quorum lost and restored,
 * FROST ceremonies and reshares) and kernel events such as CAP Profile refusals and
 * activations, agent registry changes and credential revocations.
 *
 * The journal is a chain of Session Blocks: each is sealed (closed and signed like any session,
 * entering the block log) after `blockRecords` records, `blockMs` after it opened, and at
 * shutdown. Each block's SESSION_OPEN names its `journal_seq` and the previous journal block
 * (`prev_journal_block_id`); each SESSION_COMPLETE names the block id the journal continues in
 * (`next_journal_block_id`, allocated before the seal). A verifier holding the blocks in order
 * finds a missing block, a replaced one and a cut tail (see `verify-journal.ts`).
 */
export class KernelJournal {
  private readonly port: JournalPort;
  private readonly options: Required<JournalOptions>;
  private current: Current | null = null;
  private opening: Promise<Current> | null = null;
  private sealing: Promise<unknown> = Promise.resolve();
  /** Blocks this kernel is sealing: new records never join them. */
  private readonly retiring = new Set<string>();

  constructor(port: JournalPort, options: JournalOptions = {}) {
    this.port = port;
    this.options = { ...JOURNAL_DEFAULTS, ...options };
  }

  /** Appends a KERNEL_AUDIT_ANOMALY record; never throws (an anomaly must not hide the original error). */
  async anomaly(eventType: string, fields: Record<string, Json>): Promise<void> {
    try {
      await this.recordAnomaly(eventType, fields);
    } catch {
      // the store is failing too: SUSPENDED_GAR is already set by the audit log
    }
  }

  /** Appends a KERNEL_AUDIT_ANOMALY record (severity CRITICAL unless `fields` say otherwise); rejects if it cannot. */
  async recordAnomaly(eventType: string, fields: Record<string, Json>): Promise<void> {
    await this.record('KERNEL_AUDIT_ANOMALY', { event_type: eventType, severity: 'CRITICAL', ...fields });
  }

  /** Appends a kernel event and resolves once it is durable; throws (GAR_UNAVAILABLE) if it cannot be written. */
  async record(aleType: string, fields: Record<string, Json>): Promise<void> {
    for (let attempt = 1; ; attempt++) {
      const cur = await this.acquire();
      cur.inFlight++;
      cur.records++;
      try {
        await this.port.log.append(cur.session, aleType, fields);
        break;
      } catch (e) {
        cur.records--;
        // sealed under us (by the timer, or by another kernel on the same store): the record goes to the next block
        if (!isDomainError(e, 'SESSION_CLOSED') || attempt >= 4) throw e;
        if (this.current === cur) this.current = null;
      } finally {
        cur.inFlight--;
      }
    }
    // not awaited where closes queue (a close may be waiting for this very record): see `flush`
    if (this.port.shared === false) await this.sealIfDue();
    else void this.sealIfDue().catch(() => undefined);
  }

  /** Resolves once the seals started so far have settled (tests, shutdown). */
  async flush(): Promise<void> {
    await this.sealing;
  }

  /**
   * Seals journal blocks left open past their time bound (a crash, or another kernel on the same
   * store that stopped): `seal_reason: recovered`. A block still within its bound is left to
   * whoever writes next (this kernel continues it). Run at start and by the timer.
   */
  async recover(): Promise<void> {
    const last = await this.lastEntry();
    if (!last) return;
    for (const entry of await this.entries(Math.max(1, last.journal_seq - 1), 2)) {
      if (this.current?.entry.session_id === entry.session_id || this.retiring.has(entry.session_id)) continue;
      const session = await this.port.io(() => this.port.store.getSession(entry.session_id), false);
      if (!session || session.status !== 'OPEN') continue;
      if (this.port.nowMs() - Date.parse(session.created_at) < this.options.blockMs) continue;
      await this.sealEntry(entry, session, 'recovered');
    }
  }

  /** Seals the open block when it is due (time or size); run by the kernel's timer and after each record. */
  async sealIfDue(): Promise<void> {
    const cur = this.current;
    if (cur) {
      const reason: SealReason | null = cur.records >= this.options.blockRecords ? 'size' : this.port.nowMs() - cur.openedAt >= this.options.blockMs ? 'time' : null;
      if (reason) await this.seal(reason);
      return;
    }
    await this.recover();
  }

  /** Seals the open block now (shutdown); resolves once it is signed and stored. */
  async seal(reason: SealReason, retryMs?: number): Promise<SessionBlock | null> {
    const cur = this.current;
    if (!cur) return null;
    // new records go to the next block from here on
    this.current = null;
    const id = cur.entry.session_id;
    this.retiring.add(id);
    const run = this.sealing
      .then(async () => {
        while (cur.inFlight > 0) await new Promise((resolve) => setTimeout(resolve, 1));
        return this.sealEntry(cur.entry, cur.session, reason, retryMs);
      })
      .finally(() => this.retiring.delete(id));
    this.sealing = run.catch(() => undefined);
    return run;
  }

  /**
   * Where the journal stands: the open block (if any), the last block whose signed block is
   * stored (`last_journal_seq`), and, when the block after that one is not the open block, the
   * block it names (`next_block_id`: claimed, or still being sealed). A block being sealed (its
   * successor claimed, its signature not yet stored) is never counted in `last_journal_seq`, so
   * every block up to it has a package to fetch.
   */
  async head(): Promise<{ open: { journal_seq: number; session_id: string; block_id: string } | null; next_block_id: string | null; last_journal_seq: number }> {
    const last = await this.lastEntry();
    if (!last) return { open: null, next_block_id: null, last_journal_seq: 0 };
    const session = await this.port.io(() => this.port.store.getSession(last.session_id), false);
    const open = session?.status === 'OPEN' ? { journal_seq: last.journal_seq, session_id: last.session_id, block_id: last.block_id } : null;
    if (!open && session?.status === 'CLOSED' && (await this.port.io(() => this.port.store.getBlock(last.block_id), false))) {
      const rec = await this.port.io(() => this.port.store.lastRecord(session.session_id), false);
      const next = rec ? (JSON.parse(rec.canonical) as AuditRecord).next_journal_block_id : null;
      return { open: null, next_block_id: typeof next === 'string' ? next : null, last_journal_seq: last.journal_seq };
    }
    // `last` is open, claimed (not opened yet) or being sealed: the journal stands before it
    const sealed = await this.lastSealed(last.journal_seq - 1);
    const after = sealed + 1 === last.journal_seq ? last : (await this.entries(sealed + 1, 1))[0];
    return { open, next_block_id: open && after?.block_id === open.block_id ? null : (after?.block_id ?? null), last_journal_seq: sealed };
  }

  /** The highest journal_seq up to `seq` whose signed block is stored (0: none): blocks still sealing are skipped. */
  private async lastSealed(seq: number): Promise<number> {
    let s = seq;
    while (s >= 1) {
      const entry = (await this.entries(s, 1))[0];
      if (entry && (await this.port.io(() => this.port.store.getBlock(entry.block_id), false))) return s;
      s--;
    }
    return 0;
  }

  /** The journal's blocks from `fromSeq`, in order (the `kernel_journal` index). */
  async entries(fromSeq: number, limit: number): Promise<JournalEntry[]> {
    const docs = await this.port.io(() => this.port.store.listDocuments(JOURNAL_DOC_KIND, fromSeq, limit), false);
    return docs.map((d) => JSON.parse(d.body) as JournalEntry);
  }

  /**
   * Seals one block: its successor is claimed first (or the one another kernel claimed is
   * named), so the SESSION_COMPLETE names the block the journal continues in.
   */
  private async sealEntry(entry: JournalEntry, session: Session, reason: SealReason, retryMs?: number): Promise<SessionBlock> {
    const next = await this.claim(entry.journal_seq + 1, entry.block_id);
    return this.port.seal(session, { journal_seq: entry.journal_seq, seal_reason: reason, next_journal_block_id: next.block_id }, retryMs);
  }

  private async acquire(): Promise<Current> {
    if (this.current) return this.current;
    if (this.port.shared === false) return (this.current = await this.openCurrent());
    this.opening ??= this.openCurrent().then(
      (c) => {
        this.opening = null;
        return (this.current = c);
      },
      (e: unknown) => {
        this.opening = null;
        throw e;
      },
    );
    return this.opening;
  }

  /**
   * The block records go to: the journal's last block if it is open (or claimed, not yet opened)
   * and within its time bound, joined; otherwise the next one, claimed. The `kernel_journal`
   * index is the only arbiter, so kernels sharing a store (PostgreSQL, workerd) keep one chain.
   */
  private async openCurrent(): Promise<Current> {
    for (let attempt = 1; ; attempt++) {
      const last = await this.lastEntry();
      let entry: JournalEntry;
      let session: Session | null = null;
      if (last) {
        session = await this.port.io(() => this.port.store.getSession(last.session_id), false);
        const usable = !this.retiring.has(last.session_id) && (session === null || (session.status === 'OPEN' && this.port.nowMs() - Date.parse(session.created_at) < this.options.blockMs));
        if (usable) entry = last;
        else {
          entry = await this.claim(last.journal_seq + 1, last.block_id);
          session = null;
        }
      } else entry = await this.claim(1, null);
      try {
        session ??= await this.create(entry);
        const head = await this.port.io(() => this.port.store.lastRecord(entry.session_id), false);
        return { entry, session, openedAt: Date.parse(session.created_at), records: head?.aleSeq ?? 1, inFlight: 0 };
      } catch (e) {
        if (!isDomainError(e, 'CONFLICT') || attempt >= 8) throw e;
      }
    }
  }

  /** The session of a claimed block: created with the claimed ids, or the one another kernel created. */
  private async create(entry: JournalEntry): Promise<Session> {
    try {
      return await this.port.open({ sessionId: entry.session_id, blockId: entry.block_id }, { journal_seq: entry.journal_seq, prev_journal_block_id: entry.prev_journal_block_id });
    } catch (e) {
      if (!isDomainError(e, 'CONFLICT')) throw e;
      const existing = await this.port.io(() => this.port.store.getSession(entry.session_id), false);
      if (!existing) throw e;
      return existing;
    }
  }

  /** Claims journal block `seq` (its index entry), or answers the entry another kernel claimed. */
  private async claim(seq: number, prev: string | null): Promise<JournalEntry> {
    const existing = await this.port.io(() => this.port.store.getDocument(JOURNAL_DOC_KIND, seq), false);
    if (existing) return JSON.parse(existing.body) as JournalEntry;
    const entry: JournalEntry = { journal_seq: seq, session_id: this.port.newSessionId(), block_id: this.port.newBlockId(), prev_journal_block_id: prev };
    try {
      await this.port.io(() => this.port.store.putDocument({ kind: JOURNAL_DOC_KIND, seq, docId: entry.block_id, body: JSON.stringify(entry), createdAt: new Date(this.port.nowMs()).toISOString() }), true);
      return entry;
    } catch (e) {
      if (!isDomainError(e, 'CONFLICT')) throw e;
      const won = await this.port.io(() => this.port.store.getDocument(JOURNAL_DOC_KIND, seq), false);
      if (!won) throw e;
      return JSON.parse(won.body) as JournalEntry;
    }
  }

  private async lastEntry(): Promise<JournalEntry | null> {
    const doc = await this.port.io(() => this.port.store.latestDocument(JOURNAL_DOC_KIND), false);
    return doc ? (JSON.parse(doc.body) as JournalEntry) : null;
  }
}
