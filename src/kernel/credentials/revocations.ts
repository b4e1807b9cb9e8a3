import type { Clock } from '../../ports/clock.ts';
import type { AuditStore } from '../../ports/storage.ts';
import type { KernelJournal } from '../audit/journal.ts';
import { DomainError, isDomainError } from '../errors.ts';
import { canonicalJson } from '../jcs.ts';

/** Document kind of the revocation log (`seq` = revocation sequence, 1, 2, …). */
export const REVOCATION_DOCUMENT_KIND = 'credential_revocation';
/** Most entries one page of the revocation feed holds. */
export const FEED_PAGE = 1000;

/** The registry entry kinds of digest 3.6 (`GEC_CERT` aside). */
export type RevocationKind = 'MANDATE_JTI' | 'XPID' | 'KIA_KEY' | 'GEC_MANIFEST';

/** One revoked credential (digest §3.6 registry entry, kind MANDATE_JTI, source LOCAL). */
export type RevocationEntry = {
  seq: number;
  kind: 'MANDATE_JTI';
  jti: string;
  revoked_at: string;
  /** The credential's own `exp` (Unix seconds): past it, the entry no longer matters. */
  exp: number;
  revocation_type: 'DIRECT';
  source: 'LOCAL';
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
};

/**
 * The revocation registry of credentials. Each revocation is a `CREDENTIAL_REVOKED` audit
 * record in the kernel journal and an entry of the revocation log (stored documents
 * `credential_revocation`, sequence 1, 2, …), from which the registry is rebuilt at start and
 * brought up to date before every answer that depends on it (other kernel instances on the
 * same store revoke too).
 */
export class RevocationRegistry {
  private readonly deps: RevocationDeps;
  private readonly byJti = new Map<string, RevocationEntry>();
  private readonly entries: RevocationEntry[] = [];

  constructor(deps: RevocationDeps) {
    this.deps = deps;
  }

  /** The highest sequence loaded. */
  sequence(): number {
    return this.entries.length;
  }

  /** Replays the stored revocation log from where this registry stands. */
  async refresh(): Promise<void> {
    const { store, io } = this.deps;
    const latest = await io(() => store.latestDocument(REVOCATION_DOCUMENT_KIND), false);
    const top = latest?.seq ?? 0;
    for (let seq = this.entries.length + 1; seq <= top; seq++) {
      const doc = seq === top ? latest : await io(() => store.getDocument(REVOCATION_DOCUMENT_KIND, seq), false);
      if (!doc) throw new DomainError('AUDIT_TAMPERED', `the credential revocation log lacks entry ${seq}`);
      this.add(parseEntry(doc.body, seq));
    }
  }

  async isRevoked(jti: string): Promise<boolean> {
    await this.refresh();
    return this.byJti.has(jti);
  }

  /**
   * The general lookup the ACD four-check needs (digest 3.6 kinds): revoked as `kind`, read
   * from the log brought up to date now. This registry holds MANDATE_JTI entries only so far,
   * so another kind is never found revoked here (agent revocations reach Check 4 through the
   * agent registry's status).
   */
  async isRevokedAs(kind: RevocationKind, id: string): Promise<boolean> {
    await this.refresh();
    return kind === 'MANDATE_JTI' && this.byJti.has(id);
  }

  /** Revokes `jti` (idempotent): recorded, then appended to the log; resolves once durable. */
  async revoke(jti: string, exp: number): Promise<RevocationEntry> {
    await this.refresh();
    const known = this.byJti.get(jti);
    if (known) return known;
    const revoked_at = this.deps.clock.nowIso();
    await this.deps.journal.record('CREDENTIAL_REVOKED', { jti, exp, revoked_at, revocation_type: 'DIRECT', source: 'LOCAL' });
    for (let attempt = 1; ; attempt++) {
      const entry: RevocationEntry = { seq: this.entries.length + 1, kind: 'MANDATE_JTI', jti, revoked_at, exp, revocation_type: 'DIRECT', source: 'LOCAL' };
      try {
        await this.deps.io(() => this.deps.store.putDocument({ kind: REVOCATION_DOCUMENT_KIND, seq: entry.seq, docId: jti, body: canonicalJson(entry), createdAt: revoked_at }), true);
        this.add(entry);
        return entry;
      } catch (e) {
        // another instance took the sequence: catch up and try the next one
        if (!isDomainError(e, 'CONFLICT') || attempt >= 5) throw e;
        await this.refresh();
        const now = this.byJti.get(jti);
        if (now) return now;
      }
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
    this.byJti.set(entry.jti, entry);
  }
}

/** A stored log entry, checked: the registry fails closed on a log it cannot read. */
function parseEntry(body: string, seq: number): RevocationEntry {
  let e: Partial<RevocationEntry>;
  try {
    e = JSON.parse(body) as Partial<RevocationEntry>;
  } catch {
    throw new DomainError('AUDIT_TAMPERED', `the credential revocation log entry ${seq} is not JSON`);
  }
  if (e.seq !== seq || typeof e.jti !== 'string' || typeof e.revoked_at !== 'string' || typeof e.exp !== 'number') {
    throw new DomainError('AUDIT_TAMPERED', `the credential revocation log entry ${seq} is malformed`);
  }
  return e as RevocationEntry;
}
