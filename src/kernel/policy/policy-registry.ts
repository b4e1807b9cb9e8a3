import type { Clock } from '../../ports/clock.ts';
import type { PolicyEngine, PolicyEngineFactory } from '../../ports/policy.ts';
import type { AuditStore, StoredDocument } from '../../ports/storage.ts';
import type { KernelJournal } from '../audit/journal.ts';
import { DomainError, isDomainError } from '../errors.ts';
import type { KernelState } from '../state/kernel-state.ts';
import type { Json } from '../types.ts';
import {
  activationFields,
  checkCandidate,
  message,
  type CapProfileReloader,
  type EpochHook,
  type LivePolicy,
  type PolicyActivation,
  type PolicyCandidate,
} from './activation.ts';
import { Mutex } from './mutex.ts';

export const CAP_PROFILE_DOCUMENT = 'cap_profile';

export type PolicyRegistryDeps = {
  factory: PolicyEngineFactory;
  store: AuditStore;
  clock: Clock;
  state: KernelState;
  journal: KernelJournal;
  /** The audit log's store wrapper: a failing store sets SUSPENDED_GAR. */
  io: <T>(op: () => Promise<T>, write: boolean) => Promise<T>;
  /** false on workerd: a second concurrent activation is refused (CONFLICT) instead of queued. */
  queue: boolean;
};

type Trigger = { trigger: 'update' | 'restart'; documentSeq?: number; docId?: string };

/**
 * P1 atomic hot swap. The serving set is one reference (`live`); a candidate is parsed,
 * validated and indexed by the factory beside it, warmed (`PolicyEngine.warm`: its first real
 * decision pays no first-use costs; a failed warm-up refuses it), the epoch hooks prepare, the signed profile
 * and the `CAP_CATALOG_ACTIVATED` record are made durable, and only then, synchronously in one
 * turn, the reference is replaced and the hooks' commits run. Any failure before that leaves
 * the old set serving and is recorded (`POLICY_ACTIVATION_REJECTED`). The kernel is never
 * without an active set: the built-in profile is version 0.
 *
 * Open sessions: every session, open or new, is decided by the new set from the swap on; no
 * session is pinned to the set it opened under (the alternative in digest choice 5.6). An
 * update is most often an emergency forbid, and pinning would keep a revoked permission alive
 * for the rest of every open session. Each decision record names the set that made it
 * (`cedar_policy_hash`, `cap_profile_version`) and SESSION_OPEN the set at open, so an
 * auditor sees the change inside a session.
 */
export class PolicyRegistry {
  private readonly deps: PolicyRegistryDeps;
  /** INVARIANT: assigned only in the constructor and in `swap`; decisions read it once each. */
  private live: LivePolicy;
  private readonly hooks: EpochHook[] = [];
  private readonly lock: Mutex;
  /** Highest stored `cap_profile` document seq; null until read from the store. */
  private docSeq: number | null = null;
  /** Why the stored profile could not be restored at start: no activation is accepted until a restart. */
  private restoreFailure: string | null = null;
  private restored = false;
  /** The stored profile's read, started beside the start's other replays (`prefetchStored`). */
  private prefetched: Promise<StoredDocument | null> | null = null;

  constructor(deps: PolicyRegistryDeps, initial: PolicyEngine) {
    this.deps = deps;
    this.live = { engine: initial, info: initial.active(), version: 0, capProfileHash: null, activatedAt: null };
    this.lock = new Mutex({ queue: deps.queue });
  }

  /** The serving set. Read it once per decision, then evaluate synchronously. */
  current(): LivePolicy {
    return this.live;
  }

  onEpoch(hook: EpochHook): void {
    this.hooks.push(hook);
  }

  /**
   * Runs `fn` under the activation mutex: no activation starts or swaps while it runs, so the
   * serving set it reads stays the serving set (e.g. a manifest re-issue). Without queueing
   * (workerd) it is refused with CONFLICT while an activation is in progress.
   */
  exclusive<T>(fn: () => Promise<T>): Promise<T> {
    return this.lock.run(fn);
  }

  /** Activates a candidate; throws (and records the refusal) if it is not activated. */
  activate(candidate: PolicyCandidate): Promise<PolicyActivation> {
    return this.lock.run(() => this.activateLocked(candidate, { trigger: 'update' }));
  }

  /**
   * At start: the latest stored profile is re-verified through `reload` and activated. No
   * stored profile: the built-in one stays (version 0). A stored profile that cannot be read,
   * re-verified or loaded puts the kernel in DENY_ALL until a restart (never a silent fallback
   * to the built-in profile, and no later activation: its version floor is unknown, so a
   * replayed older profile could otherwise roll the kernel back).
   */
  /**
   * Starts `restore`'s read of the latest stored profile now, so that a start waits for it beside
   * its other replays rather than after them; `restore` uses it (and reports its failure).
   */
  prefetchStored(): void {
    if (this.restored) return;
    this.prefetched = this.deps.io(() => this.deps.store.latestDocument(CAP_PROFILE_DOCUMENT), false);
    this.prefetched.catch(() => undefined);
  }

  restore(reload: CapProfileReloader | undefined): Promise<void> {
    return this.lock.run(async () => {
      if (this.restored) return;
      this.restored = true;
      // The initial (built-in) set is warmed like every candidate before it serves its first decision.
      try {
        warmUp(this.live.engine);
      } catch (e) {
        return this.failStart(`the initial policy set failed its warm-up: ${message(e)}`, 'POLICY_WARM_UP_FAILED', { cedar_policy_hash: this.live.info.cedarPolicyHash });
      }
      let latest;
      try {
        latest = await (this.prefetched ?? this.deps.io(() => this.deps.store.latestDocument(CAP_PROFILE_DOCUMENT), false));
      } catch (e) {
        return this.failRestore(`the stored cap profile could not be read: ${message(e)}`, null);
      }
      if (!latest) {
        this.docSeq = 0;
        return;
      }
      this.docSeq = latest.seq;
      if (!reload) return this.failRestore(`a stored cap profile (seq ${latest.seq}) exists but no re-verification is configured`, latest.seq);
      let candidate: PolicyCandidate;
      try {
        candidate = await reload(latest);
      } catch (e) {
        return this.failRestore(`the stored cap profile (seq ${latest.seq}) failed re-verification: ${message(e)}`, latest.seq);
      }
      const { document: _stored, ...again } = candidate;
      try {
        await this.activateLocked(again, { trigger: 'restart', documentSeq: latest.seq, docId: latest.docId });
      } catch (e) {
        return this.failRestore(`the stored cap profile (seq ${latest.seq}) could not be activated: ${message(e)}`, latest.seq);
      }
    });
  }

  private async activateLocked(candidate: PolicyCandidate, how: Trigger): Promise<PolicyActivation> {
    const previous = this.live;
    try {
      if (this.restoreFailure !== null) throw new DomainError('UNAVAILABLE', `no activation until a restart: ${this.restoreFailure}`);
      checkCandidate(candidate);
      // Re-checked here, under the lock: whatever the caller verified, versions strictly increase.
      if (candidate.version <= previous.version) {
        throw new DomainError('CAP_ROLLBACK', `version ${candidate.version} does not exceed the active version ${previous.version}`);
      }
      // Parse, validate and index beside the serving set (synchronous: no decision waits on it).
      const engine = this.deps.factory.load({
        capProfileId: candidate.capProfileId,
        policies: candidate.policies,
        ...(candidate.links ? { links: candidate.links } : {}),
        ...(candidate.schema === undefined ? {} : { schema: candidate.schema }),
      });
      try {
        // Before anything is prepared or recorded: an engine that fails its warm-up never serves.
        warmUp(engine);
        return await this.prepareAndSwap(engine, candidate, previous, how);
      } catch (e) {
        engine.dispose?.();
        throw e;
      }
    } catch (e) {
      await this.deps.journal.anomaly('POLICY_ACTIVATION_REJECTED', {
        severity: 'WARNING',
        code: isDomainError(e) ? e.code : 'INTERNAL',
        reason: message(e),
        trigger: how.trigger,
        candidate_cap_profile_id: typeof candidate.capProfileId === 'string' ? candidate.capProfileId : null,
        candidate_version: Number.isSafeInteger(candidate.version) ? candidate.version : null,
        active_cap_profile_id: previous.info.capProfileId,
        active_version: previous.version,
        active_cedar_policy_hash: previous.info.cedarPolicyHash,
      });
      throw isDomainError(e) ? e : new DomainError('UNAVAILABLE', `policy activation failed: ${message(e)}`, { cause: e });
    }
  }

  private async prepareAndSwap(engine: PolicyEngine, candidate: PolicyCandidate, previous: LivePolicy, how: Trigger): Promise<PolicyActivation> {
    const info = engine.active();
    const next: LivePolicy = { engine, info, version: candidate.version, capProfileHash: candidate.capProfileHash ?? null, activatedAt: this.deps.clock.nowIso(), ...(candidate.recordSubjects === 'digest' ? { recordSubjects: 'digest' as const } : {}) };
    const epoch = { ...info, version: next.version, ...(candidate.capProfileHash === undefined ? {} : { capProfileHash: candidate.capProfileHash }) };
    const commits: (() => void)[] = [];
    for (const hook of this.hooks) {
      try {
        commits.push(await hook(epoch));
      } catch (e) {
        throw isDomainError(e) ? e : new DomainError('UNAVAILABLE', `policy epoch could not be prepared: ${message(e)}`, { cause: e });
      }
    }
    // Durable before visible: the signed profile, then the activation record. If the record
    // fails after the document was stored, nothing is swapped now; the stored profile is
    // re-verified and activated (and recorded) at the next start.
    let documentSeq = how.documentSeq ?? null;
    let docId = how.docId ?? null;
    if (candidate.document) {
      // read again each time: other instances on a shared store (a policy cluster) store profiles too
      const stored = (await this.deps.io(() => this.deps.store.latestDocument(CAP_PROFILE_DOCUMENT), false))?.seq ?? 0;
      const seq = Math.max(this.docSeq ?? 0, stored) + 1;
      const doc = { kind: CAP_PROFILE_DOCUMENT, seq, docId: candidate.document.docId, body: candidate.document.body, createdAt: next.activatedAt ?? '' };
      await this.deps.io(() => this.deps.store.putDocument(doc), true);
      this.docSeq = seq;
      documentSeq = seq;
      docId = doc.docId;
    }
    await this.deps.journal.record('CAP_CATALOG_ACTIVATED', { ...candidate.recordFields, ...activationFields(previous, next, { trigger: how.trigger, documentSeq, docId }) });
    this.swap(next, commits, previous);
    return { capProfileId: info.capProfileId, version: next.version, cedarPolicyHash: info.cedarPolicyHash, policyIds: info.policyIds, activatedAt: next.activatedAt ?? '' };
  }

  /** One synchronous turn: the reference assignment, every epoch commit, then the old set is released. */
  private swap(next: LivePolicy, commits: (() => void)[], previous: LivePolicy): void {
    this.live = next;
    const failures: string[] = [];
    for (const commit of commits) {
      try {
        commit();
      } catch (e) {
        failures.push(message(e));
      }
    }
    if (failures.length > 0) {
      // the live set and what a hook publishes (the Manifest) may now disagree: fail closed
      const reason = `policy epoch commit failed: ${failures.join('; ')}`;
      this.deps.state.enter('DENY_ALL', reason);
      void this.deps.journal.anomaly('POLICY_EPOCH_COMMIT_FAILED', { reason, cap_profile_version: next.version, cedar_policy_hash: next.info.cedarPolicyHash });
    }
    // Safe now: a decision reads `live` and evaluates in one synchronous turn, so no
    // evaluation can still be running on, or about to run on, the previous engine.
    try {
      previous.engine.dispose?.();
    } catch {
      // it no longer serves either way
    }
  }

  private failRestore(reason: string, documentSeq: number | null): Promise<void> {
    return this.failStart(reason, 'CAP_PROFILE_RELOAD_FAILED', { document_seq: documentSeq });
  }

  /** DENY_ALL until a restart, and no activation meanwhile. */
  private async failStart(reason: string, anomaly: string, fields: Record<string, Json>): Promise<void> {
    this.restoreFailure = reason;
    this.deps.state.enter('DENY_ALL', reason);
    await this.deps.journal.anomaly(anomaly, { reason, ...fields });
  }
}

/**
 * Runs the engine's warm-up (`PolicyEngine.warm`): the first real decision on the set then pays
 * no first-use costs. Any failure is UNAVAILABLE: the set must not serve.
 */
function warmUp(engine: PolicyEngine): void {
  try {
    engine.warm?.();
  } catch (e) {
    throw isDomainError(e) ? e : new DomainError('UNAVAILABLE', `policy engine failed its warm-up: ${message(e)}`, { cause: e });
  }
}
