import type { Clock } from '../../ports/clock.ts';
import type { PolicyConsensus } from '../../ports/cluster.ts';
import { DomainError, isDomainError } from '../errors.ts';
import type { KernelState } from '../state/kernel-state.ts';
import { decodeCommitted, encodeCommitted, POLICY_KEY, type CommittedPolicy } from './committed-policy.ts';
import type { ClusterRefusal } from './refusal.ts';

/** Node states (digest 4.5 choice names). */
export type ClusterStateName = 'SERVING' | 'SYNCING' | 'DENY_ALL';

/**
 * Why a node denies everything: it cannot prove it is in the majority, no leader for longer than
 * the heartbeat timeout, no confirmed quorum read for longer than the stale-policy window, the
 * committed update failed this node's own verification, or the node serves a version the
 * cluster has not committed.
 */
export type ClusterDenyReason = 'NO_MAJORITY' | 'LEADER_HEARTBEAT_TIMEOUT' | 'STALE_POLICY_WINDOW' | 'COMMITTED_UPDATE_REFUSED' | 'AHEAD_OF_CLUSTER';

export type ClusterOptions = {
  /** How often the committed version is read with a quorum read (≤ the stale window). Default 1,000 ms. */
  pollMs?: number;
  /** No leader for longer than this: DENY_ALL(LEADER_HEARTBEAT_TIMEOUT). Default 10,000 ms. */
  heartbeatTimeoutMs?: number;
  /** No confirmed quorum read for longer than this: DENY_ALL(STALE_POLICY_WINDOW). Default 30,000 ms. */
  staleWindowMs?: number;
};

/** `/healthz` `cluster`: the node's state and what it is based on. */
export type ClusterView = {
  state: ClusterStateName;
  reason: ClusterDenyReason | null;
  detail: string | null;
  /** The committed version this node serves (SERVING), or last served. */
  serving_version: number;
  /** The version the cluster committed, as of the last confirmed quorum read. */
  committed_version: number | null;
  /** true in a minority partition (NO_MAJORITY): `soos.governance.cedar.split_brain`. */
  split_brain: boolean;
  members: number;
  reachable: number;
  leader: boolean;
  last_quorum_read_at: string | null;
};

export type PolicyClusterDeps = {
  consensus: PolicyConsensus;
  state: KernelState;
  clock: Clock;
  /** The version of the serving set (0: the built-in profile). */
  servingVersion: () => number;
  /** The serving set's `cap_profile_hash` (null: the built-in profile). */
  servingHash: () => string | null;
  /** Re-verifies the committed profile on this node and activates it (the atomic hot swap); throws when refused. */
  apply: (committed: CommittedPolicy) => Promise<void>;
  /** A committed value this node refused: journal and security alert. Must not throw. */
  refused: (facts: ClusterRefusal) => Promise<void>;
  options?: ClusterOptions;
};

/**
 * Errors after which the same committed value is tried again at the next read (not a refusal):
 * the store or the engine unavailable, or a write another instance on a shared store made first.
 */
const TRANSIENT = new Set(['UNAVAILABLE', 'GAR_UNAVAILABLE', 'KERNEL_NOT_STARTED', 'CONFLICT']);
const SOURCE = 'cluster';

/**
 * P1 cluster member (KEE §6, §12; digest 4.5, 4.7): the committed CAP Profile lives in one etcd
 * key. An update accepted by any instance is proposed by compare-and-swap on that key; every
 * instance reads the key with a quorum read (every `pollMs`), re-verifies a newer committed
 * profile itself and swaps to it (SYNCING meanwhile: every decision is denied until the
 * committed version serves). A node that cannot prove it is in the majority, has seen no leader
 * for the heartbeat timeout, or has had no confirmed quorum read for the stale window is
 * DENY_ALL; during a short election it keeps serving the last committed version and nothing
 * commits. Decisions never wait on etcd: they read the in-memory set and the kernel state.
 */
export class PolicyCluster {
  private readonly d: PolicyClusterDeps;
  private readonly pollMs: number;
  private readonly heartbeatMs: number;
  private readonly staleMs: number;
  private v: ClusterView;
  private lastQuorumMs = 0;
  private lastLeaderMs = 0;
  /** The mod revision of a committed value this node refused: not retried, the node stays DENY_ALL until a newer one. */
  private refusedRevision: string | null = null;
  private inFlight: Promise<void> | null = null;
  private timer: ReturnType<typeof setTimeout> | null = null;
  private running = false;

  constructor(deps: PolicyClusterDeps) {
    this.d = deps;
    this.pollMs = deps.options?.pollMs ?? 1_000;
    this.heartbeatMs = deps.options?.heartbeatTimeoutMs ?? 10_000;
    this.staleMs = deps.options?.staleWindowMs ?? 30_000;
    this.v = { state: 'SYNCING', reason: null, detail: 'not yet synchronised with the committed version', serving_version: 0, committed_version: null, split_brain: false, members: 0, reachable: 0, leader: false, last_quorum_read_at: null };
  }

  view(): ClusterView {
    return { ...this.v, serving_version: this.d.servingVersion() };
  }

  /** SYNCING (every decision denied) until the first confirmed quorum read brings the committed version; then polls. */
  async start(): Promise<void> {
    const now = this.nowMs();
    this.lastQuorumMs = now;
    this.lastLeaderMs = now;
    this.syncing('not yet synchronised with the committed version');
    this.running = true;
    await this.tick();
    this.schedule();
  }

  stop(): void {
    this.running = false;
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
  }

  /** One poll: status, quorum read, sync. Concurrent calls share the round in flight. */
  tick(): Promise<void> {
    this.inFlight ??= this.round().finally(() => {
      this.inFlight = null;
    });
    return this.inFlight;
  }

  /**
   * Proposes a verified update: a compare-and-swap on the committed key against the revision
   * just read with a quorum read, then this node applies it like every other (re-verified).
   * UNAVAILABLE when the node is not SERVING or the cluster has no leader or quorum (nothing
   * commits), CAP_ROLLBACK when the cluster already committed this version or a later one,
   * CONFLICT when another update was committed between the read and the swap.
   */
  async propose(c: CommittedPolicy): Promise<void> {
    // a node refusing the committed value (or ahead of it) has a quorum: a valid newer update is how it recovers
    const recoverable = this.v.state === 'DENY_ALL' && (this.v.reason === 'COMMITTED_UPDATE_REFUSED' || this.v.reason === 'AHEAD_OF_CLUSTER');
    if (this.v.state !== 'SERVING' && !recoverable) throw new DomainError('UNAVAILABLE', `the policy cluster is ${this.describe()}: nothing commits`);
    const status = await this.d.consensus.status();
    if (!status.leader || status.reachable < majority(status.members)) {
      throw new DomainError('UNAVAILABLE', `the policy cluster has no leader or no majority (${status.reachable} of ${status.members} members reachable): nothing commits`);
    }
    let current;
    try {
      current = await this.d.consensus.read(POLICY_KEY);
    } catch (e) {
      throw new DomainError('UNAVAILABLE', `the committed policy version cannot be read with a quorum: ${message(e)}`, { cause: e });
    }
    const committedVersion = current ? committedVersionOf(current.value) : 0;
    if (c.version <= committedVersion) throw new DomainError('CAP_ROLLBACK', `version ${c.version} does not exceed the cluster's committed version ${committedVersion}`);
    let won: boolean;
    try {
      won = await this.d.consensus.compareAndSwap(POLICY_KEY, current?.modRevision ?? '0', encodeCommitted(c));
    } catch (e) {
      throw new DomainError('UNAVAILABLE', `the policy cluster did not confirm the update (outcome unknown; read GET /v1/cap-profile): ${message(e)}`, { cause: e });
    }
    if (!won) throw new DomainError('CONFLICT', `another update was committed to the policy cluster first; version ${c.version} was not committed`);
    // applied here like on every node: re-verified, then swapped (a round already in flight may predate the commit)
    for (let i = 0; i < 3 && this.d.servingVersion() < c.version; i++) await this.tick();
    if (this.d.servingVersion() !== c.version) {
      throw new DomainError('UNAVAILABLE', `version ${c.version} was committed to the policy cluster but is not serving on this node (${this.describe()})`);
    }
  }

  private async round(): Promise<void> {
    const now = this.nowMs();
    const status = await this.d.consensus.status();
    Object.assign(this.v, { members: status.members, reachable: status.reachable, leader: status.leader });
    if (status.reachable < majority(status.members)) {
      return this.deny('NO_MAJORITY', `${status.reachable} of ${status.members} etcd members reachable: not provably in the majority`, true);
    }
    if (status.leader) this.lastLeaderMs = now;
    else if (now - this.lastLeaderMs > this.heartbeatMs) {
      return this.deny('LEADER_HEARTBEAT_TIMEOUT', `no etcd leader for ${now - this.lastLeaderMs} ms (timeout ${this.heartbeatMs} ms)`);
    }
    let record;
    try {
      record = await this.d.consensus.read(POLICY_KEY);
    } catch (e) {
      if (now - this.lastQuorumMs > this.staleMs) {
        return this.deny('STALE_POLICY_WINDOW', `no confirmed quorum read for ${now - this.lastQuorumMs} ms (window ${this.staleMs} ms): ${message(e)}`);
      }
      return; // an election or a slow member: the last committed version keeps serving, nothing commits
    }
    this.lastQuorumMs = now;
    this.v.last_quorum_read_at = new Date(now).toISOString();
    this.v.split_brain = false;
    const committedVersion = record ? committedVersionOf(record.value) : 0;
    this.v.committed_version = committedVersion;
    if (record && record.modRevision === this.refusedRevision) return; // still the refused value: stays DENY_ALL
    const serving = this.d.servingVersion();
    if (!record) {
      if (serving !== 0) return this.deny('AHEAD_OF_CLUSTER', `this node serves version ${serving}, the cluster has committed none`);
    } else {
      let committed: CommittedPolicy;
      try {
        committed = decodeCommitted(record.value);
      } catch (e) {
        return this.refuse(record.modRevision, null, 'INVALID_INPUT', message(e));
      }
      if (committed.version < serving) return this.deny('AHEAD_OF_CLUSTER', `this node serves version ${serving}, the cluster committed version ${committed.version}`);
      if (committed.version === serving && committed.cap_profile_hash !== this.d.servingHash()) {
        return this.refuse(record.modRevision, committed, 'CAP_PROFILE_MALFORMED', `version ${serving} serves here with cap_profile_hash ${this.d.servingHash() ?? 'null'}, the committed one has ${committed.cap_profile_hash}`);
      }
      if (committed.version > serving) {
        this.syncing(`loading the committed version ${committed.version} (serving ${serving})`);
        try {
          await this.d.apply(committed);
        } catch (e) {
          if (isDomainError(e) && TRANSIENT.has(e.code)) return this.syncing(`the committed version ${committed.version} could not be loaded yet: ${message(e)}`);
          return this.refuse(record.modRevision, committed, isDomainError(e) ? e.code : 'INTERNAL', message(e));
        }
        if (this.d.servingVersion() !== committed.version) return this.syncing(`version ${committed.version} is committed, ${this.d.servingVersion()} serves`);
      }
    }
    this.refusedRevision = null;
    this.serve();
  }

  private async refuse(modRevision: string, committed: CommittedPolicy | null, code: string, reason: string): Promise<void> {
    this.refusedRevision = modRevision;
    this.deny('COMMITTED_UPDATE_REFUSED', `the committed update (etcd mod revision ${modRevision}) failed this node's verification: ${reason}`);
    try {
      await this.d.refused({ mod_revision: modRevision, version: committed?.version ?? null, cap_profile_id: committed?.cap_profile_id ?? null, reason, code });
    } catch {
      // the refusal stands whatever the journal or alert sink does
    }
  }

  private serve(): void {
    Object.assign(this.v, { state: 'SERVING', reason: null, detail: null });
    this.d.state.leave('DENY_ALL', SOURCE);
  }

  private syncing(detail: string): void {
    Object.assign(this.v, { state: 'SYNCING', reason: null, detail });
    this.d.state.enter('DENY_ALL', `policy cluster SYNCING: ${detail}`, SOURCE);
  }

  private deny(reason: ClusterDenyReason, detail: string, splitBrain = false): void {
    Object.assign(this.v, { state: 'DENY_ALL', reason, detail, split_brain: splitBrain });
    this.d.state.enter('DENY_ALL', `policy cluster DENY_ALL(${reason}): ${detail}`, SOURCE);
  }

  private describe(): string {
    return this.v.state === 'DENY_ALL' ? `DENY_ALL(${this.v.reason ?? ''})` : this.v.state === 'SERVING' ? `SERVING(${this.d.servingVersion()})` : this.v.state;
  }

  private schedule(): void {
    if (!this.running) return;
    this.timer = setTimeout(() => {
      void this.tick().finally(() => this.schedule());
    }, this.pollMs);
    // do not keep a process alive just to poll (Node, Bun, Deno timers have unref)
    (this.timer as { unref?: () => void }).unref?.();
  }

  private nowMs(): number {
    return Date.parse(this.d.clock.nowIso());
  }
}

/** More than half of `members`. */
export function majority(members: number): number {
  return Math.floor(members / 2) + 1;
}

/** The version named by a committed value, or 0 when it names none (refused when applied). */
function committedVersionOf(value: string): number {
  try {
    return decodeCommitted(value).version;
  } catch {
    return 0;
  }
}

function message(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}
