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
  /** Opens a kernel session with this block id and these SESSION_OPEN fields. */
  open(blockId: string, fields: Record<string, Json>): Promise<Session>;
  /** Closes a session into its signed Session Block, with these SESSION_COMPLETE fields (`retryMs`: how long to wait for a signer that is out; default the close's). */
  seal(session: Session, fields: Record<string, Json>, retryMs?: number): Promise<SessionBlock>;
  /** false where requests may not await one another (workerd): no shared opening promise. */
  shared?: boolean;
};

/** The journal's index entry of one block, as stored (`kernel_journal` document body). */
export type JournalEntry = { journal_seq: number; session_id: string; block_id: string; prev_journal_block_id: string | null };

type Current = { session: Session; seq: number; openedAt: number; records: number; inFlight: number };

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
  /** The next block: its sequence number, pre-allocated id and predecessor. */
  private next: { seq: number; blockId: string; prev: string | null } | null = null;
  private loaded: Promise<void> | null = null;
  private sealing: Promise<unknown> = Promise.resolve();

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
        // sealed under us (e.g. by the timer): the record goes to the next block
        cur.records--;
        if (!isDomainError(e, 'SESSION_CLOSED') || attempt >= 3) throw e;
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
   * Reads where the journal stands (its last block, from the `kernel_journal` index) and seals a
   * block an earlier run left open (a crash: `seal_reason: recovered`). Run at start, after the
   * manifest is issued; a seal that fails (signer out) is left for the next tick.
   */
  async recover(): Promise<void> {
    await this.load();
    const last = await this.lastEntry();
    if (!last) return;
    // the last two: a record written before the recovery may have opened a block after it
    for (const entry of await this.entries(Math.max(1, last.journal_seq - 1), 2)) {
      if (this.current?.session.session_id === entry.session_id) continue;
      const session = await this.port.io(() => this.port.store.getSession(entry.session_id), false);
      if (!session || session.status === 'CLOSED' || session.status === 'TAMPERED') continue;
      await this.sealSession(session, entry.journal_seq, 'recovered');
    }
  }

  /** Seals the open block when it is due (time or size); run by the kernel's timer and after each record. */
  async sealIfDue(): Promise<void> {
    const cur = this.current;
    if (!cur) return;
    const reason: SealReason | null = cur.records >= this.options.blockRecords ? 'size' : this.port.nowMs() - cur.openedAt >= this.options.blockMs ? 'time' : null;
    if (reason) await this.seal(reason);
  }

  /** Seals the open block now (shutdown); resolves once it is signed and stored. */
  async seal(reason: SealReason, retryMs?: number): Promise<SessionBlock | null> {
    const cur = this.current;
    if (!cur || !this.next) return null;
    // new records go to the next block from here on, whose id this block names
    this.current = null;
    const nextId = this.next.blockId;
    const run = this.sealing.then(async () => {
      while (cur.inFlight > 0) await new Promise((resolve) => setTimeout(resolve, 1));
      return this.port.seal(cur.session, { journal_seq: cur.seq, seal_reason: reason, next_journal_block_id: nextId }, retryMs);
    });
    this.sealing = run.catch(() => undefined);
    return run;
  }

  /** Where the journal stands: the open block (if any), else the block it continues in, and the last block before either. */
  async head(): Promise<{ open: { journal_seq: number; session_id: string; block_id: string } | null; next_block_id: string | null; last_journal_seq: number }> {
    await this.load();
    const cur = this.current;
    const last = await this.lastEntry();
    return {
      open: cur ? { journal_seq: cur.seq, session_id: cur.session.session_id, block_id: cur.session.block_id } : null,
      next_block_id: cur ? null : (this.next?.blockId ?? null),
      last_journal_seq: cur ? cur.seq - 1 : (last?.journal_seq ?? 0),
    };
  }

  /** The journal's blocks from `fromSeq`, in order (the `kernel_journal` index). */
  async entries(fromSeq: number, limit: number): Promise<JournalEntry[]> {
    const docs = await this.port.io(() => this.port.store.listDocuments(JOURNAL_DOC_KIND, fromSeq, limit), false);
    return docs.map((d) => JSON.parse(d.body) as JournalEntry);
  }

  /** Seals a block an earlier run left open: it names the block the journal continues in. */
  private async sealSession(session: Session, seq: number, reason: SealReason): Promise<SessionBlock> {
    await this.load();
    // the journal may have moved on already (a record written before the recovery): name that block
    const successor = await this.port.io(() => this.port.store.getDocument(JOURNAL_DOC_KIND, seq + 1), false);
    let nextId: string;
    if (successor) nextId = (JSON.parse(successor.body) as JournalEntry).block_id;
    else {
      if (this.next?.seq !== seq + 1) this.next = { seq: seq + 1, blockId: this.port.newBlockId(), prev: session.block_id };
      nextId = this.next.blockId;
    }
    return this.port.seal(session, { journal_seq: seq, seal_reason: reason, next_journal_block_id: nextId });
  }

  private async acquire(): Promise<Current> {
    if (this.current) return this.current;
    if (this.port.shared === false) return (this.current = await this.openNext());
    this.opening ??= this.openNext().then(
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

  private async openNext(): Promise<Current> {
    await this.load();
    const n = this.next ?? { seq: 1, blockId: this.port.newBlockId(), prev: null };
    // taken: a concurrent opening (workerd) or a failure after the session was created gets a fresh id
    this.next = { seq: n.seq + 1, blockId: this.port.newBlockId(), prev: n.blockId };
    const session = await this.port.open(n.blockId, { journal_seq: n.seq, prev_journal_block_id: n.prev });
    const entry: JournalEntry = { journal_seq: n.seq, session_id: session.session_id, block_id: session.block_id, prev_journal_block_id: n.prev };
    await this.port.io(() => this.port.store.putDocument({ kind: JOURNAL_DOC_KIND, seq: n.seq, docId: session.block_id, body: JSON.stringify(entry), createdAt: new Date(this.port.nowMs()).toISOString() }), true);
    return { session, seq: n.seq, openedAt: this.port.nowMs(), records: 1, inFlight: 0 };
  }

  /** Once per kernel: where the last journal block left the chain (the next block's seq, id and predecessor). */
  private load(): Promise<void> {
    this.loaded ??= (async () => {
      const last = await this.lastEntry();
      if (!last) return;
      const session = await this.port.io(() => this.port.store.getSession(last.session_id), false);
      let nextId: string | null = null;
      if (session?.status === 'CLOSED') {
        const rec = await this.port.io(() => this.port.store.lastRecord(session.session_id), false);
        const id = rec ? (JSON.parse(rec.canonical) as AuditRecord).next_journal_block_id : undefined;
        if (typeof id === 'string') nextId = id;
      }
      this.next ??= { seq: last.journal_seq + 1, blockId: nextId ?? this.port.newBlockId(), prev: last.block_id };
    })().catch((e: unknown) => {
      this.loaded = null;
      throw e;
    });
    return this.loaded;
  }

  private async lastEntry(): Promise<JournalEntry | null> {
    const doc = await this.port.io(() => this.port.store.latestDocument(JOURNAL_DOC_KIND), false);
    return doc ? (JSON.parse(doc.body) as JournalEntry) : null;
  }
}
