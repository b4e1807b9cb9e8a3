import { InMemorySpanExporter } from '@opentelemetry/sdk-trace';
import { afterEach, describe, expect, it } from 'vitest';
import { agentRead, classifyGold, makeHarness } from '../../../test/support/harness.ts';
import { createGovernanceTracing } from './telemetry.ts';

describe('governance telemetry (P6)', () => {
  afterEach(() => {
    delete process.env.OTEL_TRACES_SAMPLER;
  });

  it('records every span even when the host configures an always-off sampler', async () => {
    process.env.OTEL_TRACES_SAMPLER = 'always_off';
    const exporter = new InMemorySpanExporter();
    const { telemetry } = createGovernanceTracing({ exporters: [{ exporter }] });
    for (let i = 0; i < 50; i++) await telemetry.span('soos.test', { traceId: 'ab'.repeat(16) }, () => i);
    expect(exporter.getFinishedSpans()).toHaveLength(50);
  });

  it('records errors on the span and rethrows them', async () => {
    const exporter = new InMemorySpanExporter();
    const { telemetry } = createGovernanceTracing({ exporters: [{ exporter }] });
    await expect(telemetry.span('soos.fail', {}, () => Promise.reject(new Error('boom')))).rejects.toThrow('boom');
    const [span] = exporter.getFinishedSpans();
    expect(span?.status.code).toBe(2);
    expect(span?.events[0]?.name).toBe('exception');
  });

  it('emits soos.cedar.evaluate and soos.gar.write spans in the session trace with the digest 2.6 attributes', async () => {
    const h = makeHarness();
    const { json: s } = await h.call('POST', '/v1/sessions', { agent_id: 'a' });
    await h.call('POST', `/v1/sessions/${s.session_id}/authorize`, agentRead());
    await h.call('POST', `/v1/sessions/${s.session_id}/authorize`, classifyGold());
    const spans = h.spans.getFinishedSpans();
    for (const sp of spans) expect(sp.spanContext().traceId).toBe(s.block_id);

    const evals = spans.filter((sp) => sp.name === 'soos.cedar.evaluate');
    expect(evals).toHaveLength(2);
    expect(evals[1]?.attributes).toMatchObject({
      'soos.governance.kernel_id': h.kernel.kernelId,
      'soos.governance.session_id': s.session_id,
      'soos.governance.cap_profile_id': 'kee-disaster-response-gov-v1.0',
      'soos.cap.decision': 'DENY',
      'soos.governance.decision': 'DENY',
      'soos.cap.tier': '0-B',
      'soos.cap.cedar_policy_id': 'tier0b-no-auto-gold',
    });
    expect(evals[1]?.attributes['soos.cap.policy_ids_evaluated']).toEqual(['kee-default-read', 'tier0b-no-auto-gold', 'tier1-gold-with-human-approval']);

    const writes = spans.filter((sp) => sp.name === 'soos.gar.write');
    expect(writes.map((w) => w.attributes['soos.governance.ale_seq'])).toEqual([1, 2, 3]);
    expect(writes.map((w) => w.attributes['soos.governance.ale_type'])).toEqual(['SESSION_OPEN', 'CEDAR_PERMIT', 'CEDAR_DENY']);
    const rows = h.store.rawRecords(s.session_id);
    expect(writes[2]?.attributes['soos.gar.prev_span_hash']).toBe(rows[1]?.hash);
  });
});
