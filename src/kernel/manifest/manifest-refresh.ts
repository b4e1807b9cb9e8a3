/**
 * Keeps the GEC Manifest fresh (KEE-1 P3 Check 1 refuses one older than the staleness window):
 * once half the window has passed since the manifest in force was issued, the next epoch is
 * issued over the same serving set, and again whenever the kernel's own conformance
 * requirements (P3, P8) changed since it was issued. The re-issue runs under the policy
 * activation mutex, so no activation can swap the set between the manifest's preparation and
 * its commit: the manifest and the live policy never disagree. The kernel's housekeeping timer
 * runs it; where there are no timers (workerd) the ACD handshake runs it first, lazily.
 */
import type { KernelJournal } from '../audit/journal.ts';
import type { PolicyEpoch } from './manifest-service.ts';

export type ManifestRefreshDeps = {
  /** The manifest in force (issued by this instance), or null before the first. */
  issuedFacts: () => { manifest_id: string; epoch: number; issued_at: string; unmet: readonly string[] } | null;
  /** Builds, signs and stores the next epoch; its commit makes it current. */
  prepareEpoch: (next: PolicyEpoch) => Promise<() => void>;
  /** The policy activation mutex. */
  exclusive: <T>(fn: () => Promise<T>) => Promise<T>;
  /** The serving set, as the next epoch declares it (read under the mutex). */
  livePolicy: () => PolicyEpoch;
  nowMs: () => number;
  /** Check 1's staleness window (s): the manifest is re-issued once half of it has passed. */
  windowSeconds: number;
  /** The kernel's own requirements (names) unmet now; a change from the manifest's re-issues it. */
  unmetNow?: () => readonly string[];
  /** Names of the requirements `unmetNow` decides (the others in the manifest are not compared). */
  owned?: readonly string[];
  /** Least time between two re-issues for a requirement change (ms; default 60,000). */
  changeMinMs?: number;
  /** No re-issue while this names a reason (e.g. MANIFEST_INTEGRITY_FAILURE). */
  blocked?: () => string | null;
  journal: KernelJournal;
};

const DEFAULT_CHANGE_MIN_MS = 60_000;

export class ManifestRefresher {
  private readonly d: ManifestRefreshDeps;
  /** When this instance last re-issued (any reason): requirement changes re-issue at most once per `changeMinMs`. */
  private lastReissueMs = -Infinity;

  constructor(deps: ManifestRefreshDeps) {
    this.d = deps;
  }

  /** Why the manifest in force should be re-issued now, or null. */
  due(): string | null {
    const m = this.d.issuedFacts();
    if (m === null || this.d.blocked?.()) return null;
    const now = this.d.nowMs();
    const age = (now - Date.parse(m.issued_at)) / 1000;
    if (!(age < this.d.windowSeconds / 2)) return `the manifest is ${Math.floor(age)} s old (half the ${this.d.windowSeconds} s staleness window)`;
    if (this.d.unmetNow && now - this.lastReissueMs >= (this.d.changeMinMs ?? DEFAULT_CHANGE_MIN_MS)) {
      const owned = new Set(this.d.owned ?? []);
      const declared = m.unmet.filter((r) => owned.has(r)).sort();
      const live = [...this.d.unmetNow()].sort();
      if (declared.join('\n') !== live.join('\n')) return `the conformance requirements changed (unmet: ${live.length > 0 ? live.join(', ') : 'none'})`;
    }
    return null;
  }

  /**
   * Re-issues the manifest when `due()` (checked again under the activation mutex); resolves with
   * the reason, or null when nothing was due. Rejects when the epoch cannot be prepared (the
   * manifest in force stays) or, without queueing, while an activation holds the mutex (CONFLICT).
   */
  async refreshIfDue(force?: string): Promise<string | null> {
    if (force === undefined && this.due() === null) return null;
    return this.d.exclusive(async () => {
      const why = force ?? this.due();
      if (why === null) return null;
      this.lastReissueMs = this.d.nowMs();
      const commit = await this.d.prepareEpoch(this.d.livePolicy());
      commit();
      const m = this.d.issuedFacts();
      await this.d.journal.record('GEC_MANIFEST_REISSUED', { reason: why, manifest_id: m?.manifest_id ?? null, epoch: m?.epoch ?? null, issued_at: m?.issued_at ?? null }).catch(() => undefined);
      return why;
    });
  }
}
