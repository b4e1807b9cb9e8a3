/**
 * The policy cluster inside one kernel (in process, a consensus store the test controls): what
 * `/healthz`, decisions, their spans, the journal and the operator alerts show in each node state.
 */
import { describe, expect, it } from 'vitest';
import type { OperatorAlert } from '../src/ports/alert.ts';
import type { ConsensusRecord, ConsensusStatus, PolicyConsensus } from '../src/ports/cluster.ts';
import { encodeCommitted } from '../src/kernel/cluster/committed-policy.ts';
import { body, capProfileDeps, journal, makePublisher, makePublishers, sign } from './support/cap-profile.ts';
import { agentRead, makeHarness } from './support/harness.ts';

class TestConsensus implements PolicyConsensus {
  record: ConsensusRecord | null = null;
  rev = 0;
  current: ConsensusStatus = { members: 3, reachable: 3, leader: true };
  async read(): Promise<ConsensusRecord | null> {
    return this.record;
  }
  async compareAndSwap(_k: string, expected: string, value: string): Promise<boolean> {
    if ((this.record?.modRevision ?? '0') !== expected) return false;
    this.record = { value, modRevision: String(++this.rev) };
    return true;
  }
  async status(): Promise<ConsensusStatus> {
    return this.current;
  }
}

async function setup() {
  const publishers = await makePublishers();
  const consensus = new TestConsensus();
  const alerts: OperatorAlert[] = [];
  const h = makeHarness({ engine: 'cedar-wasm', deps: { capProfile: capProfileDeps(publishers), cluster: { consensus, options: { pollMs: 60_000 } }, alerts: { alert: (a) => void alerts.push(a) } } });
  await h.started;
  h.kernel.stop(); // the test drives the polls itself (clusterTick)
  return { h, consensus, publishers, alerts };
}

const decide = async (h: Awaited<ReturnType<typeof setup>>['h']) => {
  const s = await h.call('POST', '/v1/sessions', { agent_id: 'agent-1' });
  return (await h.call('POST', `/v1/sessions/${s.json.session_id}/authorize`, agentRead())).json as { decision: string; reasons: string[] };
};
const lastEvaluate = (h: Awaited<ReturnType<typeof setup>>['h']) => h.spans.getFinishedSpans().filter((x) => x.name === 'soos.cedar.evaluate').at(-1)?.attributes;

describe('a clustered kernel', () => {
  it('SERVING: /healthz 200 with the node state; decision spans carry cluster_state and split_brain', async () => {
    const { h } = await setup();
    const health = await h.call('GET', '/healthz');
    expect(health.status).toBe(200);
    expect(health.json.cluster).toMatchObject({ state: 'SERVING', serving_version: 0, committed_version: 0, split_brain: false, members: 3, reachable: 3 });
    expect((await decide(h)).decision).toBe('PERMIT');
    expect(lastEvaluate(h)).toMatchObject({ 'soos.governance.cedar.cluster_state': 'SERVING', 'soos.governance.cedar.split_brain': false });
  });

  it('in a minority: DENY_ALL(NO_MAJORITY), /healthz 503 problem+json with the state, every decision DENY, split_brain on the span; back when the majority is', async () => {
    const { h, consensus } = await setup();
    consensus.current = { members: 3, reachable: 1, leader: false };
    await h.kernel.clusterTick();
    const health = await h.call('GET', '/healthz');
    expect(health.status).toBe(503);
    expect(health.headers.get('content-type')).toContain('application/problem+json');
    expect(health.json).toMatchObject({ code: 'UNAVAILABLE', facts: { state: 'DENY_ALL', cluster: { state: 'DENY_ALL', reason: 'NO_MAJORITY', split_brain: true } } });
    const d = await decide(h);
    expect(d.decision).toBe('DENY');
    expect(d.reasons).toContain('policy cluster node is DENY_ALL(NO_MAJORITY)');
    expect(lastEvaluate(h)).toMatchObject({ 'soos.governance.cedar.cluster_state': 'DENY_ALL', 'soos.governance.cedar.split_brain': true });
    consensus.current = { members: 3, reachable: 2, leader: true };
    await h.kernel.clusterTick();
    expect((await h.call('GET', '/healthz')).status).toBe(200);
    expect((await decide(h)).decision).toBe('PERMIT');
  });

  it('a forged committed value: never applied, CLUSTER_UPDATE_REFUSED journaled once, a critical alert', async () => {
    const { h, consensus, publishers, alerts } = await setup();
    const outsider = await makePublisher();
    const b = body({ version: 1 });
    consensus.record = { value: encodeCommitted({ version: 1, cap_profile_id: b.cap_profile_id, cap_profile_hash: 'a'.repeat(64), jws: (await sign(b, [publishers[0]!, outsider])) as never }), modRevision: '7' };
    await h.kernel.clusterTick();
    await h.kernel.clusterTick();
    expect(h.kernel.activePolicy().version).toBe(0);
    expect(h.kernel.clusterView()).toMatchObject({ state: 'DENY_ALL', reason: 'COMMITTED_UPDATE_REFUSED' });
    const refused = (await journal(h.store)).filter((r) => r.event_type === 'CLUSTER_UPDATE_REFUSED');
    expect(refused).toHaveLength(1);
    expect(refused[0]).toMatchObject({ ale_number: 'ALE-NEW-02', severity: 'CRITICAL', mod_revision: '7', version: 1, code: 'CAP_SIGNATURES_INSUFFICIENT' });
    expect(alerts.map((a) => [a.alert, a.severity])).toEqual([['POLICY_CLUSTER_UPDATE_REFUSED', 'critical']]);
  });
});
