import { describe, expect, it } from 'vitest';
import type { ConsensusRecord, ConsensusStatus, PolicyConsensus } from '../../ports/cluster.ts';
import { DomainError } from '../errors.ts';
import { KernelState } from '../state/kernel-state.ts';
import { encodeCommitted, POLICY_KEY, type CommittedPolicy } from './committed-policy.ts';
import { PolicyCluster } from './policy-cluster.ts';

/** An in-memory consensus store whose quorum, leader and reachability the test sets. */
class FakeConsensus implements PolicyConsensus {
  record: ConsensusRecord | null = null;
  rev = 0;
  status_: ConsensusStatus = { members: 3, reachable: 3, leader: true };
  quorum = true;
  async read(key: string): Promise<ConsensusRecord | null> {
    expect(key).toBe(POLICY_KEY);
    if (!this.quorum) throw new Error('no quorum');
    return this.record;
  }
  async compareAndSwap(_key: string, expected: string, value: string): Promise<boolean> {
    if (!this.quorum) throw new Error('no quorum');
    if ((this.record?.modRevision ?? '0') !== expected) return false;
    this.record = { value, modRevision: String(++this.rev) };
    return true;
  }
  async status(): Promise<ConsensusStatus> {
    return this.status_;
  }
  commit(c: CommittedPolicy): void {
    this.record = { value: encodeCommitted(c), modRevision: String(++this.rev) };
  }
}

const committed = (version: number, valid = true): CommittedPolicy => ({ version, cap_profile_id: 'p', cap_profile_hash: `h${version}`, jws: { valid } });

function setup() {
  const consensus = new FakeConsensus();
  const state = new KernelState();
  let now = Date.parse('2026-12-06T00:00:00Z');
  const serving = { version: 0, hash: null as string | null };
  const refusals: { code: string; version: number | null }[] = [];
  const cluster = new PolicyCluster({
    consensus,
    state,
    clock: { nowIso: () => new Date(now).toISOString() },
    servingVersion: () => serving.version,
    servingHash: () => serving.hash,
    apply: async (c) => {
      if (!(c.jws as { valid: boolean }).valid) throw new DomainError('CAP_SIGNATURES_INSUFFICIENT', 'fewer than two valid publisher signatures');
      serving.version = c.version;
      serving.hash = c.cap_profile_hash;
    },
    refused: async (f) => void refusals.push({ code: f.code, version: f.version }),
    options: { pollMs: 60_000, heartbeatTimeoutMs: 10_000, staleWindowMs: 30_000 },
  });
  return { consensus, state, cluster, serving, refusals, advance: (ms: number) => (now += ms) };
}

describe('PolicyCluster', () => {
  it('denies every decision (SYNCING) until the committed version is read with a quorum and serves', async () => {
    const t = setup();
    t.consensus.commit(committed(2));
    t.consensus.quorum = false;
    await t.cluster.start();
    t.cluster.stop();
    expect(t.cluster.view().state).toBe('SYNCING');
    expect(t.state.has('DENY_ALL')).toBe(true);
    t.consensus.quorum = true;
    await t.cluster.tick();
    expect(t.cluster.view()).toMatchObject({ state: 'SERVING', serving_version: 2, committed_version: 2 });
    expect(t.state.has('DENY_ALL')).toBe(false);
  });

  it('keeps serving the last committed version through a short election, and commits nothing meanwhile', async () => {
    const t = setup();
    t.consensus.commit(committed(1));
    await t.cluster.start();
    t.cluster.stop();
    t.consensus.status_ = { members: 3, reachable: 3, leader: false };
    t.consensus.quorum = false;
    t.advance(5_000);
    await t.cluster.tick();
    expect(t.cluster.view().state).toBe('SERVING');
    expect(t.state.has('DENY_ALL')).toBe(false);
    await expect(t.cluster.propose(committed(2))).rejects.toMatchObject({ code: 'UNAVAILABLE' });
    // past the heartbeat timeout without a leader: deny-all
    t.advance(5_001);
    await t.cluster.tick();
    expect(t.cluster.view()).toMatchObject({ state: 'DENY_ALL', reason: 'LEADER_HEARTBEAT_TIMEOUT', split_brain: false });
    expect(t.state.reason('DENY_ALL')).toContain('LEADER_HEARTBEAT_TIMEOUT');
    // a leader again, quorum reads again: serving, after syncing
    t.consensus.status_ = { members: 3, reachable: 3, leader: true };
    t.consensus.quorum = true;
    await t.cluster.tick();
    expect(t.cluster.view().state).toBe('SERVING');
  });

  it('a minority (fewer than a majority of members reachable) is DENY_ALL(NO_MAJORITY) at once and flagged split brain', async () => {
    const t = setup();
    await t.cluster.start();
    t.cluster.stop();
    t.consensus.status_ = { members: 3, reachable: 1, leader: true };
    await t.cluster.tick();
    expect(t.cluster.view()).toMatchObject({ state: 'DENY_ALL', reason: 'NO_MAJORITY', split_brain: true });
    t.consensus.status_ = { members: 3, reachable: 2, leader: true };
    await t.cluster.tick();
    expect(t.cluster.view()).toMatchObject({ state: 'SERVING', split_brain: false });
  });

  it('no confirmed quorum read for longer than the stale window: DENY_ALL(STALE_POLICY_WINDOW)', async () => {
    const t = setup();
    await t.cluster.start();
    t.cluster.stop();
    t.consensus.quorum = false; // members answer, a leader is named, but reads are not confirmed
    t.advance(30_000);
    await t.cluster.tick();
    expect(t.cluster.view().state).toBe('SERVING');
    t.advance(1);
    await t.cluster.tick();
    expect(t.cluster.view()).toMatchObject({ state: 'DENY_ALL', reason: 'STALE_POLICY_WINDOW' });
  });

  it('a committed value that fails this node\'s verification is refused (recorded once), never applied, and the node denies all until a valid newer one', async () => {
    const t = setup();
    t.consensus.commit(committed(1));
    await t.cluster.start();
    t.cluster.stop();
    t.consensus.commit(committed(2, false));
    await t.cluster.tick();
    await t.cluster.tick();
    expect(t.serving.version).toBe(1);
    expect(t.cluster.view()).toMatchObject({ state: 'DENY_ALL', reason: 'COMMITTED_UPDATE_REFUSED' });
    expect(t.refusals).toEqual([{ code: 'CAP_SIGNATURES_INSUFFICIENT', version: 2 }]);
    // garbage in the key is refused likewise
    t.consensus.record = { value: 'not json', modRevision: String(++t.consensus.rev) };
    await t.cluster.tick();
    expect(t.refusals.at(-1)).toEqual({ code: 'INVALID_INPUT', version: null });
    // the refusing node has a quorum: a valid newer update proposed through it recovers every node
    await t.cluster.propose(committed(3));
    expect(t.cluster.view()).toMatchObject({ state: 'SERVING', serving_version: 3 });
  });

  it('propose: a compare-and-swap on the read revision; a version not above the committed one, or a lost race, is refused', async () => {
    const t = setup();
    await t.cluster.start();
    t.cluster.stop();
    await t.cluster.propose(committed(1));
    expect(t.serving.version).toBe(1);
    await expect(t.cluster.propose(committed(1))).rejects.toMatchObject({ code: 'CAP_ROLLBACK' });
    // another instance commits between this node's read and its swap
    const read = t.consensus.read.bind(t.consensus);
    t.consensus.read = async (k) => {
      const r = await read(k);
      t.consensus.commit(committed(5));
      return r;
    };
    await expect(t.cluster.propose(committed(4))).rejects.toMatchObject({ code: 'CONFLICT' });
  });

  it('a node serving a version the cluster has not committed is DENY_ALL(AHEAD_OF_CLUSTER)', async () => {
    const t = setup();
    t.serving.version = 3;
    t.serving.hash = 'h3';
    t.consensus.commit(committed(2));
    await t.cluster.start();
    t.cluster.stop();
    expect(t.cluster.view()).toMatchObject({ state: 'DENY_ALL', reason: 'AHEAD_OF_CLUSTER' });
  });
});
