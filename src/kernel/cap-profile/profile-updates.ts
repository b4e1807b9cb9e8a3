import type { Clock } from '../../ports/clock.ts';
import type { StoredDocument } from '../../ports/storage.ts';
import type { KernelJournal } from '../audit/journal.ts';
import type { CommittedPolicy } from '../cluster/committed-policy.ts';
import type { PolicyCluster } from '../cluster/policy-cluster.ts';
import { DomainError } from '../errors.ts';
import type { PolicyActivation, PolicyCandidate } from '../policy/activation.ts';
import type { PolicyRegistry } from '../policy/policy-registry.ts';
import type { Json } from '../types.ts';
import { RefusalLimiter } from './refusal-limit.ts';
import { refusalFields, type CapProfileAccepted, type CapProfileRegistry } from './registry.ts';
import type { VerifiedCapProfile } from './verify-update.ts';

export type CapProfileUpdateDeps = {
  registry: CapProfileRegistry;
  clock: Clock;
  journal: KernelJournal;
  /** Refused updates journaled per minute (the rest answered RATE_LIMITED, unrecorded). */
  refusalsPerMinute?: number | undefined;
  /** The policy cluster when clustered, else null. */
  cluster: () => PolicyCluster | null;
  /** The serving set. */
  current: () => ReturnType<PolicyRegistry['current']>;
  /** The kernel's atomic hot swap (P1). */
  activate: (candidate: PolicyCandidate) => Promise<PolicyActivation>;
};

/**
 * Signed CAP Profile updates (P4, docs/cap-profiles.md): verification and refusal records, the
 * activation through the hot swap (or the proposal to the policy cluster and the activation of
 * what it commits), and the re-verification of the stored profile at start. The profiles being
 * activated are kept in `pending` until their swap, so the epoch hooks read their facts.
 */
export class CapProfileUpdates {
  private readonly deps: CapProfileUpdateDeps;
  private readonly refusals: RefusalLimiter;
  /** Verified profiles by version, between their verification and their swap. */
  readonly pending = new Map<number, VerifiedCapProfile>();
  /** Versions this instance is proposing to the cluster (it stores their signed profile itself). */
  private readonly proposing = new Set<number>();

  constructor(deps: CapProfileUpdateDeps) {
    this.deps = deps;
    this.refusals = new RefusalLimiter(deps.refusalsPerMinute);
  }

  /**
   * A signed CAP Profile update (`PUT /v1/cap-profile`): verified through the P4 checks; a refusal
   * is journaled (CAP_PROFILE_REFUSED, rate-limited) and thrown; an accepted one is activated, or
   * proposed to the policy cluster when clustered.
   */
  async submit(jws: unknown): Promise<CapProfileAccepted> {
    const verified = await this.deps.registry.verify(jws, this.deps.clock);
    if (verified.refused) {
      const now = this.deps.clock.nowIso();
      const slot = this.refusals.take(Date.parse(now), now);
      if (!slot.recorded) {
        throw new DomainError('RATE_LIMITED', `too many refused cap profile updates: this one (\`${verified.code}\`) is not recorded; retry in ${slot.retryAfterSeconds} s`, {
          facts: { retry_after_seconds: slot.retryAfterSeconds, refusal_code: verified.code },
        });
      }
      if (slot.suppressed) await this.deps.journal.record('CAP_PROFILE_REFUSALS_SUPPRESSED', slot.suppressed);
      await this.deps.journal.record('CAP_PROFILE_REFUSED', refusalFields(verified));
      throw new DomainError(verified.code, verified.reason, { facts: verified.detail });
    }
    if (this.deps.cluster()) return this.propose(verified, jws);
    return this.activateVerified(verified, jws);
  }

  /**
   * Clustered: the verified update is proposed (compare-and-swap on the committed key); every
   * instance, this one included, re-verifies the committed profile and swaps to it. This
   * instance stores the signed profile with its activation (the one copy in a shared store).
   */
  private async propose(verified: VerifiedCapProfile, jws: unknown): Promise<CapProfileAccepted> {
    const version = verified.body.version;
    this.proposing.add(version);
    try {
      await (this.deps.cluster() as PolicyCluster).propose({ version, cap_profile_id: verified.body.cap_profile_id, cap_profile_hash: verified.cap_profile_hash, jws: jws as Json });
    } finally {
      this.proposing.delete(version);
    }
    const live = this.deps.current();
    return { cap_profile_id: live.info.capProfileId, version: live.version, cap_profile_hash: verified.cap_profile_hash, cedar_policy_hash: live.info.cedarPolicyHash, activated_at: live.activatedAt ?? '' };
  }

  /**
   * Clustered: a committed profile is verified again here, whoever proposed it (KEE §12.1: the
   * publishers' signatures and the P4 checks; the committed facts must be the signed ones), then
   * activated through the atomic hot swap. A refusal throws; the cluster node stays DENY_ALL.
   */
  async applyCommitted(c: CommittedPolicy): Promise<void> {
    const verified = await this.deps.registry.verify(c.jws, this.deps.clock);
    if (verified.refused) throw new DomainError(verified.code, verified.reason, { facts: verified.detail });
    if (verified.body.version !== c.version || verified.cap_profile_hash !== c.cap_profile_hash) {
      throw new DomainError('CAP_PROFILE_MALFORMED', `the committed facts (version ${c.version}, cap_profile_hash ${c.cap_profile_hash}) are not those of the signed profile (version ${verified.body.version}, ${verified.cap_profile_hash})`);
    }
    await this.activateVerified(verified, c.jws, !this.proposing.has(c.version));
  }

  /**
   * Activates a verified profile through the atomic hot swap (`PolicyRegistry`): the signed JWS
   * is stored with the activation and re-verified at every start. A set the serving engine
   * refuses, or a version overtaken by a concurrent update, is refused (and recorded by the
   * registry as POLICY_ACTIVATION_REJECTED).
   */
  private async activateVerified(verified: VerifiedCapProfile, jws: unknown, storedElsewhere = false): Promise<CapProfileAccepted> {
    const version = verified.body.version;
    this.pending.set(version, verified);
    try {
      const a = await this.deps.activate({
        capProfileId: verified.body.cap_profile_id,
        version,
        policies: verified.policies,
        capProfileHash: verified.cap_profile_hash,
        ...(verified.body.record_subjects === 'digest' ? { recordSubjects: 'digest' as const } : {}),
        ...(storedElsewhere ? {} : { document: { docId: `${verified.body.cap_profile_id}@${version}`, body: JSON.stringify(jws) } }),
        recordFields: {
          effective_date: verified.body.effective_date,
          profile_kind: verified.body.profile_kind,
          catalog_version: verified.body.catalog_version as unknown as Json,
          publishers: verified.publishers,
          unknown_kids: verified.unknown_kids,
          ...(verified.nonconformance ? { conformance_exception: verified.nonconformance } : {}),
          ...(this.deps.cluster() ? { policy_cluster: storedElsewhere ? 'applied' : 'proposed' } : {}),
        },
      });
      return { cap_profile_id: a.capProfileId, version: a.version, cap_profile_hash: verified.cap_profile_hash, cedar_policy_hash: a.cedarPolicyHash, activated_at: a.activatedAt };
    } catch (e) {
      if (e instanceof DomainError && e.code === 'INVALID_INPUT') {
        throw new DomainError('CAP_POLICY_INVALID', `the serving policy engine refuses the set: ${e.message}`, { cause: e, facts: { cap_profile_id: verified.body.cap_profile_id, version } });
      }
      throw e;
    } finally {
      this.pending.delete(version);
    }
  }

  /** The `profile_kind` of the profile of `version`: one being activated, or the active one (null: built-in or unknown). */
  profileKind(version: number): string | null {
    const pending = this.pending.get(version);
    if (pending) return pending.body.profile_kind;
    const active = this.deps.registry.active();
    return active.version === version ? active.profile_kind : null;
  }

  /** At start: the stored signed profile passes the P4 signature and content checks again. */
  async reloadSigned(doc: StoredDocument): Promise<PolicyCandidate> {
    let jws: unknown;
    try {
      jws = JSON.parse(doc.body);
    } catch {
      throw new DomainError('CAP_PROFILE_MALFORMED', `stored cap profile ${doc.seq} is not JSON`);
    }
    const verified = await this.deps.registry.verify(jws, this.deps.clock);
    if (verified.refused) throw new DomainError(verified.code, verified.reason, { facts: verified.detail });
    this.pending.set(verified.body.version, verified);
    return { capProfileId: verified.body.cap_profile_id, version: verified.body.version, policies: verified.policies, capProfileHash: verified.cap_profile_hash, ...(verified.body.record_subjects === 'digest' ? { recordSubjects: 'digest' as const } : {}) };
  }
}
