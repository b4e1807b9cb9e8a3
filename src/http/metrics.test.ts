import { describe, expect, it } from 'vitest';
import { agentRead, makeHarness } from '../../test/support/harness.ts';
import { parsePrometheus, sample } from '../../test/support/prometheus.ts';
import { candidate } from '../../test/support/policy-sets.ts';
import { KernelMetrics } from '../kernel/metrics/kernel-metrics.ts';
import { renderMetrics } from './metrics.ts';

async function scrape(h: ReturnType<typeof makeHarness>) {
  const r = await h.call('GET', '/metrics');
  expect(r.status).toBe(200);
  expect(r.headers.get('content-type')).toBe('text/plain; version=0.0.4; charset=utf-8');
  return parsePrometheus(r.text);
}

describe('GET /metrics', () => {
  it('exposes decisions, latency, audit writes, state, profile version and open sessions', async () => {
    const h = makeHarness();
    await h.started;
    const before = await scrape(h);
    expect([...before.keys()]).toEqual([
      'kee_decisions_total',
      'kee_authorize_errors_total',
      'kee_authorize_duration_seconds',
      'kee_audit_records_total',
      'kee_audit_batches_total',
      'kee_kernel_state',
      'kee_kernel_condition',
      'kee_cap_profile_version',
      'kee_sessions_open',
      'kee_one_shot_sessions_open',
    ]);
    expect(before.get('kee_authorize_duration_seconds')?.type).toBe('histogram');
    expect(sample(before, 'kee_decisions_total', { decision: 'PERMIT' })).toBe(0);
    expect(sample(before, 'kee_kernel_state', { state: 'NORMAL' })).toBe(1);
    const records0 = sample(before, 'kee_audit_records_total') as number;
    const open0 = sample(before, 'kee_sessions_open') as number;

    const { json: s } = await h.call('POST', '/v1/sessions', { agent_id: 'a' });
    await h.call('POST', `/v1/sessions/${s.session_id}/authorize`, agentRead());
    await h.call('POST', `/v1/sessions/${s.session_id}/authorize/batch`, { requests: [{ ...agentRead(), action: { type: 'Action', id: 'delete' } }, agentRead('c')] });
    await h.call('POST', '/v1/authorize', agentRead('b'));
    const during = await scrape(h);
    expect(sample(during, 'kee_decisions_total', { decision: 'PERMIT' })).toBe(3);
    expect(sample(during, 'kee_decisions_total', { decision: 'DENY' })).toBe(1);
    // three authorize calls timed (single, batch, one-shot)
    expect(sample(during, 'kee_authorize_duration_seconds_count')).toBe(3);
    expect(sample(during, 'kee_authorize_duration_seconds_bucket', { le: '+Inf' })).toBe(3);
    expect(sample(during, 'kee_sessions_open')).toBe(open0 + 2);
    expect(sample(during, 'kee_sessions_open')).toBe((await h.store.sessionsWithStatus('OPEN', 1000)).length);
    expect(sample(during, 'kee_one_shot_sessions_open')).toBe(1);
    // two SESSION_OPEN + four decisions
    expect(sample(during, 'kee_audit_records_total')).toBe(records0 + 6);
    expect(sample(during, 'kee_audit_batches_total')).toBeGreaterThanOrEqual(1);

    await h.call('POST', `/v1/sessions/${s.session_id}/close`);
    await h.kernel.closeOneShotSessions();
    await h.kernel.activatePolicy(candidate(1));
    h.kernel.state.enter('SUSPENDED_GAR', 'test');
    const after = await scrape(h);
    // the kernel's journal session was open from the start (KERNEL_BOOT); the gauge agrees with the store
    expect(sample(before, 'kee_sessions_open')).toBe(1);
    expect(sample(after, 'kee_sessions_open')).toBe(open0);
    expect(sample(after, 'kee_sessions_open')).toBe((await h.store.sessionsWithStatus('OPEN', 1000)).length);
    expect(sample(after, 'kee_one_shot_sessions_open')).toBe(0);
    const version = after.get('kee_cap_profile_version')?.samples[0];
    expect(version?.value).toBe(1);
    expect(version?.labels.cap_profile_id).toBe('test-profile');
    expect(version?.labels.cedar_policy_hash).toBe(h.kernel.activePolicy().cedarPolicyHash);
    expect(sample(after, 'kee_kernel_state', { state: 'NORMAL' })).toBe(0);
    expect(sample(after, 'kee_kernel_state', { state: 'SUSPENDED_GAR' })).toBe(1);
    expect(sample(after, 'kee_kernel_condition', { condition: 'SUSPENDED_GAR' })).toBe(1);
    expect(sample(after, 'kee_kernel_condition', { condition: 'DENY_ALL' })).toBe(0);
  });

  it('sessions left open by an earlier run count as open after a restart', async () => {
    const first = makeHarness();
    for (const agent of ['a', 'b']) await first.call('POST', '/v1/sessions', { agent_id: agent });
    const again = makeHarness({ store: first.store });
    await again.started;
    expect(sample(await scrape(again), 'kee_sessions_open')).toBe((await first.store.sessionsWithStatus('OPEN', 1000)).length);
  });

  it('counts an authorize call that fails as an error, not as a decision', async () => {
    const h = makeHarness();
    const { json: s } = await h.call('POST', '/v1/sessions', { agent_id: 'a' });
    h.store.failWith = new Error('disk gone');
    expect((await h.call('POST', `/v1/sessions/${s.session_id}/authorize`, agentRead())).status).toBe(503);
    h.store.failWith = null;
    const m = await scrape(h);
    expect(sample(m, 'kee_authorize_errors_total')).toBe(1);
    expect(sample(m, 'kee_decisions_total', { decision: 'DENY' })).toBe(0);
    expect(sample(m, 'kee_decisions_total', { decision: 'PERMIT' })).toBe(0);
  });

  it('histogram buckets are cumulative by latency; label values are escaped', () => {
    const metrics = new KernelMetrics(() => 0);
    metrics.observe(0.0004);
    metrics.observe(0.02);
    metrics.observe(7);
    const text = renderMetrics({ metrics, state: { state: 'NORMAL', conditions: [] }, capProfile: { id: 'odd "id"\\ with\nnewline', version: 3, cedarPolicyHash: 'h' }, oneShotSessionsOpen: 0 });
    const m = parsePrometheus(text);
    expect(sample(m, 'kee_authorize_duration_seconds_bucket', { le: '0.0005' })).toBe(1);
    expect(sample(m, 'kee_authorize_duration_seconds_bucket', { le: '0.01' })).toBe(1);
    expect(sample(m, 'kee_authorize_duration_seconds_bucket', { le: '0.025' })).toBe(2);
    expect(sample(m, 'kee_authorize_duration_seconds_bucket', { le: '5' })).toBe(2);
    expect(sample(m, 'kee_authorize_duration_seconds_bucket', { le: '+Inf' })).toBe(3);
    expect(sample(m, 'kee_authorize_duration_seconds_sum')).toBeCloseTo(7.0204, 6);
    expect(m.get('kee_cap_profile_version')?.samples[0]?.labels.cap_profile_id).toBe('odd "id"\\ with\nnewline');
    expect(text).toContain('cap_profile_id="odd \\"id\\"\\\\ with\\nnewline"');
  });

  it('the strict parser rejects what the format does not allow', () => {
    expect(() => parsePrometheus('a 1')).toThrow('newline');
    expect(() => parsePrometheus('a 1\n')).toThrow('without a # TYPE');
    expect(() => parsePrometheus('# TYPE a counter\na{x="1" } 1\n')).toThrow(/malformed|labels/);
    expect(() => parsePrometheus('# TYPE a counter\na 1\na 2\n')).toThrow('duplicate');
    expect(() => parsePrometheus('# TYPE h histogram\nh_bucket{le="1"} 2\nh_bucket{le="+Inf"} 1\nh_sum 0\nh_count 1\n')).toThrow('cumulative');
    expect(() => parsePrometheus('# TYPE h histogram\nh_bucket{le="+Inf"} 2\nh_sum 0\nh_count 1\n')).toThrow('_count');
  });
});
