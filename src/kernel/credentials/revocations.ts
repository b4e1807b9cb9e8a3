import type { Clock } from '../../ports/clock.ts';
import type { AuditStore } from '../../ports/storage.ts';
import type { KernelJournal } from '../audit/journal.ts';
import { documentRange } from '../documents/read-range.ts';
import { DomainError, isDomainError } from '../errors.ts';
import { canonicalJson } from '../jcs.ts';
import type { Json } from '../types.ts';

/** Document kind of the revocation log (`seq` = revocation sequence, 1, 2, …). */
export const REVOCATION_DOCUMENT_KIND = 'credential_revocation';
/** Most entries one page of the revocation feed holds. */
export const FEED_PAGE = 1000;

/** What a registry entry revokes (digest §3.6 choice): a mandate / credential `jti`, an agent XPID, the kernel's KIA key, a GEC Manifest or certificate. */
export const REVOCATION_KINDS = ['MANDATE_JTI', 'XPID', 'KIA_KEY', 'GEC_MANIFEST', 'GEC_CERT'] as const;
export type RevocationKind = (typeof REVOCATION_KINDS)[number];

/** Who a revocation is about, when known: the agent (its id at the originating kernel) and its XPID. */
export type RevocationSubject = { agent_id?: string; xpid?: string };

/** One registry entry (digest §3.6 choice), as stored in the revocation log and served by the feed. */
export type RevocationEntry = {
  seq: number;
  kind: RevocationKind;
  /** The revoked identifier: a jti, an XPID, a key id, a manifest id. */
  id: string;
  /** MANDATE_JTI only: the same as `id` (what verifiers of credentials read). */
  jti?: string;
  revoked_at: string;
  /** A credential's own `exp` (Unix seconds): past it, the entry no longer matters. */
  exp?: number;
  revocation_type: 'DIRECT' | 'CASCADE';
  cascade_root?: string;
  /** LOCAL: revoked at this kernel; CAEP: received from a transmitter over SSF. */
  source: 'LOCAL' | 'CAEP';
  /** The issuer that revoked it (this kernel's issuer for LOCAL entries). */
  originating_kernel?: string;
  /** CAEP entries: when the SET was received (kernel clock). */
  caep_received_at?: string;
  /** The revocation event this entry belongs to (the SETs' `txn`). */
  event_id?: string;
  subject?: RevocationSubject;
  reason?: string;
  revoking_principal?: string;
};

/** What a revocation adds (the registry fills `seq` and the times). */
export type RevocationInput = {
  kind: RevocationKind;
  id: string;
  exp?: number;
  subject?: RevocationSubject;
  reason?: string;
  revoking_principal?: string;
  revocation_type?: 'DIRECT' | 'CASCADE';
  cascade_root?: string;
  source?: 'LOCAL' | 'CAEP';
  originating_kernel?: string;
  caep_received_at?: string;
  event_id?: string;
  /** The journal record type (default REVOCATION_REGISTERED; credentials keep CREDENTIAL_REVOKED). */
  record?: string;
};

/** A page of the revocation feed: entries after `since`, and how current it is. */
export type RevocationFeed = {
  /** The highest revocation sequence the kernel holds: a verifier that has seen it is current. */
  sequence: number;
  /** Kernel clock when this answer was made: a verifier refuses a feed older than its bound. */
  generated_at: string;
  revocations: RevocationEntry[];
  /** Present when more entries follow: ask again with `since` = this. */
  next_since?: number;
};

export type RevocationDeps = {
  store: AuditStore;
  clock: Clock;
  journal: KernelJournal;
  io: <T>(op: () => Promise<T>, write: boolean) => Promise<T>;
  /** This kernel's issuer: `originating_kernel` of LOCAL entries. */
  issuer?: string;
  /** A fresh revocation event id (UUID v4). */
  newId?: () => string;
};

const key = (kind: RevocationKind, id: string) => `${kind} ${id}`;

/**
 * The revocation registry (P8, digest §2.8 / §3.6): mandate and credential `jti`s, agent XPIDs,
 * the kernel's KIA key, GEC Manifests and certificates. Each revocation is an audit record in
 * the kernel journal (`CREDENTIAL_REVOKED` for credentials, `REVOCATION_REGISTERED` otherwise)
 * and an entry of the revocation log (stored documents `credential_revocation`, sequence 1,
 * 2, …), from which the registry is rebuilt at start and brought up to date before every answer
 * that depends on it (other kernel instances on the same store revoke too). Listeners hear of
 * the entries this instance adds (the SSF transmitter sends them on).
 */
export class RevocationRegistry {
  private readonly deps: RevocationDeps;
  private readonly byKey = new Map<string, RevocationEntry>();
  /** XPID and MANDATE_JTI entries by the agent their subject names. */
  private readonly byAgent = new Map<string, RevocationEntry>();
  private readonly byXpid = new Map<string, RevocationEntry>();
  private readonly entries: RevocationEntry[] = [];
  private readonly listeners: ((entry: RevocationEntry) => void | Promise<void>)[] = [];

  constructor(deps: RevocationDeps) {
    this.deps = deps;
  }

  /** Calls `listener` with every entry this instance adds, once durable; `register` resolves after the listeners (the SSF outbox is stored before the answer). */
  onAdded(listener: (entry: RevocationEntry) => void | Promise<void>): void {
    this.listeners.push(listener);
  }

  /** The entries as loaded with a sequence above `seq`, in order. */
  entriesAfter(seq: number): RevocationEntry[] {
    return this.entries.slice(seq);
  }

  /** The highest sequence loaded. */
  sequence(): number {
    return this.entries.length;
  }

  /** Replays the stored revocation log from where this registry stands. */
  async refresh(): Promise<void> {
    const { store, io } = this.deps;
    const latest = await io(() => store.latestDocument(REVOCATION_DOCUMENT_KIND), false);
    if (!latest) return;
    for await (const { seq, doc } of documentRange({ store, io }, REVOCATION_DOCUMENT_KIND, this.entries.length + 1, latest)) {
      if (!doc) throw new DomainError('AUDIT_TAMPERED', `the revocation log lacks entry ${seq}`);
      this.add(parseEntry(doc.body, seq));
    }
  }

  /** `isRevoked(jti)`: is this credential / mandate jti revoked; `isRevoked(kind, id)`: is this identifier of `kind` revoked. */
  async isRevoked(kindOrJti: string, id?: string): Promise<boolean> {
    await this.refresh();
    return id === undefined ? this.byKey.has(key('MANDATE_JTI', kindOrJti)) : this.byKey.has(key(kindOrJti as RevocationKind, id));
  }

  /**
   * The general lookup the ACD four-check needs (digest 3.6 kinds): revoked as `kind`, read from
   * the log brought up to date now; an XPID is also revoked by an entry whose subject names it.
   */
  async isRevokedAs(kind: RevocationKind, id: string): Promise<boolean> {
    await this.refresh();
    return this.isRevokedLoaded(kind, id);
  }

  /** `isRevokedAs` over the log as loaded, without reading the store first (after a `refresh`). */
  isRevokedLoaded(kind: RevocationKind, id: string): boolean {
    return kind === 'XPID' ? this.check({ xpid: id }) !== null : this.byKey.has(key(kind, id));
  }

  /** The entry revoking a mandate `jti`, an `xpid` or an agent (by its subject), as loaded; null when none does. */
  check(q: { jti?: string; xpid?: string; agentId?: string }): RevocationEntry | null {
    if (q.jti !== undefined) {
      const e = this.byKey.get(key('MANDATE_JTI', q.jti));
      if (e) return e;
    }
    if (q.xpid !== undefined) {
      const e = this.byKey.get(key('XPID', q.xpid)) ?? this.byXpid.get(q.xpid);
      if (e) return e;
    }
    if (q.agentId !== undefined) return this.byAgent.get(q.agentId) ?? null;
    return null;
  }

  /** The entry for `kind`/`id` as loaded, or undefined. */
  find(kind: RevocationKind, id: string): RevocationEntry | undefined {
    return this.byKey.get(key(kind, id));
  }

  /** Revokes the credential `jti` (idempotent): recorded, then appended to the log; resolves once durable. */
  revoke(jti: string, exp: number): Promise<RevocationEntry> {
    return this.register({ kind: 'MANDATE_JTI', id: jti, exp, record: 'CREDENTIAL_REVOKED' });
  }

  /**
   * Adds an entry (idempotent per kind and id: the first one stays): recorded in the journal,
   * then appended to the log; resolves once durable, then tells the listeners.
   */
  async register(input: RevocationInput): Promise<RevocationEntry> {
    await this.refresh();
    const known = this.byKey.get(key(input.kind, input.id));
    if (known) return known;
    const revoked_at = this.deps.clock.nowIso();
    const { record = 'REVOCATION_REGISTERED', ...rest } = input;
    const base = stripUndefined({
      ...rest,
      ...(input.kind === 'MANDATE_JTI' ? { jti: input.id } : {}),
      revoked_at,
      revocation_type: input.revocation_type ?? 'DIRECT',
      source: input.source ?? 'LOCAL',
      ...(input.originating_kernel ?? this.deps.issuer ? { originating_kernel: input.originating_kernel ?? this.deps.issuer } : {}),
      event_id: input.event_id ?? this.deps.newId?.() ?? crypto.randomUUID(),
    });
    await this.deps.journal.record(record, base as unknown as Record<string, Json>);
    for (let attempt = 1; ; attempt++) {
      const entry = { seq: this.entries.length + 1, ...base } as RevocationEntry;
      try {
        await this.deps.io(() => this.deps.store.putDocument({ kind: REVOCATION_DOCUMENT_KIND, seq: entry.seq, docId: `${entry.kind}:${entry.id}`.slice(0, 500), body: canonicalJson(entry as unknown as Json), createdAt: revoked_at }), true);
        this.add(entry);
      } catch (e) {
        // another instance took the sequence: catch up and try the next one
        if (!isDomainError(e, 'CONFLICT') || attempt >= 5) throw e;
        await this.refresh();
        const now = this.byKey.get(key(input.kind, input.id));
        if (now) return now;
        continue;
      }
      for (const l of this.listeners) await l(entry);
      return entry;
    }
  }

  /** The entries after `since` (at most `FEED_PAGE`), with the current sequence and time. */
  async feed(since: number): Promise<RevocationFeed> {
    await this.refresh();
    const page = this.entries.slice(since, since + FEED_PAGE);
    const last = page[page.length - 1];
    const more = last !== undefined && last.seq < this.entries.length;
    return { sequence: this.entries.length, generated_at: this.deps.clock.nowIso(), revocations: page, ...(more ? { next_since: last.seq } : {}) };
  }

  private add(entry: RevocationEntry): void {
    this.entries.push(entry);
    this.byKey.set(key(entry.kind, entry.id), entry);
    if (entry.kind === 'XPID' || entry.kind === 'MANDATE_JTI') {
      if (entry.subject?.agent_id !== undefined && !this.byAgent.has(entry.subject.agent_id)) this.byAgent.set(entry.subject.agent_id, entry);
      if (entry.subject?.xpid !== undefined && !this.byXpid.has(entry.subject.xpid)) this.byXpid.set(entry.subject.xpid, entry);
    }
  }
}

/** A stored log entry, checked: the registry fails closed on a log it cannot read. Entries written before kinds existed are credential jtis. */
function parseEntry(body: string, seq: number): RevocationEntry {
  let e: Partial<RevocationEntry>;
  try {
    e = JSON.parse(body) as Partial<RevocationEntry>;
  } catch {
    throw new DomainError('AUDIT_TAMPERED', `the revocation log entry ${seq} is not JSON`);
  }
  const kind = e.kind ?? 'MANDATE_JTI';
  const id = e.id ?? e.jti;
  if (e.seq !== seq || !REVOCATION_KINDS.includes(kind) || typeof id !== 'string' || typeof e.revoked_at !== 'string' || (e.exp !== undefined && typeof e.exp !== 'number')) {
    throw new DomainError('AUDIT_TAMPERED', `the revocation log entry ${seq} is malformed`);
  }
  return { ...e, kind, id } as RevocationEntry;
}

/** The object without its undefined members (JCS has no `undefined`). */
function stripUndefined<T extends Record<string, unknown>>(o: T): T {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as T;
}
