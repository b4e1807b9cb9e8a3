import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { decodeJwt } from 'jose';
import { InMemorySpanExporter, type ReadableSpan, type SpanExporter } from '@opentelemetry/sdk-trace';
import { afterEach, describe, expect, it } from 'vitest';
import { agentRead, classifyGold, makeHarness } from '../../../test/support/harness.ts';
import { makeOperators, agentKey } from '../../../test/support/operators.ts';
import { createGovernanceTracing, MAX_EXPORT_BATCH, MAX_QUEUE } from './telemetry.ts';

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
    const all = h.spans.getFinishedSpans();
    // the DENY opened a human escalation: its soos.hem.trigger span is in the session trace, its
    // HEM_TRIGGERED record in the kernel journal's, opened at start for KERNEL_BOOT and its soos.kernel.boot span (the only spans outside the session trace)
    expect(all.find((sp) => sp.name === 'soos.hem.trigger')?.spanContext().traceId).toBe(s.block_id);
    expect(all.filter((sp) => sp.spanContext().traceId !== s.block_id).map((sp) => sp.attributes['soos.governance.ale_type'] ?? sp.name)).toEqual(['SESSION_OPEN', 'KERNEL_BOOT', 'soos.kernel.boot', 'HEM_TRIGGERED']);
    const spans = all.filter((sp) => sp.spanContext().traceId === s.block_id);

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

  it('soos.governance.xpid on every span of a session, and `xpid` in its SESSION_OPEN and decision records: the registry XPID of a registered agent, else the provisional one (the credential `sub`)', async () => {
    const ops = await makeOperators();
    const h = makeHarness({ deps: { operatorTokens: ops.verifier } });
    const registered = await h.call('POST', '/v1/agents', { agent_id: 'reg', public_keys: [await agentKey()] }, await ops.bearer('operator'));
    const cases: [string, string | null][] = [['reg', registered.json.xpid as string], ['unregistered', null]];
    for (const [agent, registryXpid] of cases) {
      h.spans.reset();
      const { json: s } = await h.call('POST', '/v1/sessions', { agent_id: agent });
      const permit = (await h.call('POST', `/v1/sessions/${s.session_id}/authorize`, agentRead(agent))).json;
      await h.call('POST', `/v1/sessions/${s.session_id}/authorize`, classifyGold());
      await h.call('POST', `/v1/sessions/${s.session_id}/close`);
      const xpid = decodeJwt(permit.credential as string).sub as string;
      expect(xpid).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-5[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
      if (registryXpid) expect(xpid).toBe(registryXpid);
      const spans = h.spans.getFinishedSpans().filter((sp) => sp.spanContext().traceId === s.block_id);
      expect(new Set(spans.map((sp) => sp.name))).toEqual(new Set(['soos.gar.write', 'soos.cedar.evaluate', 'soos.hem.trigger', 'soos.gar.block_close', 'soos.kia.sign']));
      for (const sp of spans) expect(sp.attributes['soos.governance.xpid'], `${agent} ${sp.name} ${String(sp.attributes['soos.governance.ale_type'] ?? '')}`).toBe(xpid);
      const records = (await h.store.listRecords(s.session_id)).map((r) => JSON.parse(r.canonical) as Record<string, unknown>);
      expect(records.map((r) => [r.ale_type, r.xpid])).toEqual([['SESSION_OPEN', xpid], ['CEDAR_PERMIT', xpid], ['CEDAR_DENY', xpid], ['SESSION_COMPLETE', undefined]]);
    }
  });

  it('batches for a batch exporter: at most MAX_EXPORT_BATCH a call, all of them after a flush, in the session trace under its root span', async () => {
    const calls: ReadableSpan[][] = [];
    const exporter: SpanExporter = { export: (spans, cb) => (calls.push(spans), cb({ code: 0 })), shutdown: async () => undefined };
    const { telemetry, provider } = createGovernanceTracing({ exporters: [{ exporter, batch: true }], resource: { 'soos.governance.kernel_id': 'k1' } });
    const trace = 'c0ffee'.repeat(5) + '01';
    const n = MAX_EXPORT_BATCH * 2 + 7;
    for (let i = 0; i < n; i++) {
      await telemetry.span('soos.gar.write', { traceId: trace, attributes: { 'soos.governance.ale_seq': i + 1, skipped: undefined } }, (h) => h.setAttributes({ later: 'yes' }));
    }
    expect(calls.map((c) => c.length)).toEqual([MAX_EXPORT_BATCH, MAX_EXPORT_BATCH]);
    await provider.forceFlush();
    const spans = calls.flat();
    expect(spans).toHaveLength(n);
    expect(spans.map((s) => s.attributes['soos.governance.ale_seq'])).toEqual(Array.from({ length: n }, (_, i) => i + 1));
    const ids = new Set(spans.map((s) => s.spanContext().spanId));
    expect(ids.size).toBe(n);
    for (const s of spans) {
      expect(s.spanContext().traceId).toBe(trace);
      expect(s.spanContext().spanId).toMatch(/^[0-9a-f]{16}$/);
      expect(s.parentSpanContext?.spanId).toBe(trace.slice(0, 16));
      expect(s.attributes).toEqual({ 'soos.governance.ale_seq': expect.any(Number), later: 'yes' });
      expect(s.status.code).toBe(1);
      expect(s.ended).toBe(true);
      expect(s.endTime[0] * 1e9 + s.endTime[1]).toBeGreaterThanOrEqual(s.startTime[0] * 1e9 + s.startTime[1]);
      expect(s.resource.attributes).toMatchObject({ 'service.name': 'kee', 'soos.governance.kernel_id': 'k1' });
    }
    await provider.shutdown();
  });

  it('drops what a stuck exporter cannot take (beyond MAX_QUEUE) without blocking, and says how many once it recovers', async () => {
    let release: (() => void) | null = null;
    const calls: number[] = [];
    const exporter: SpanExporter = {
      export: (spans, cb) => {
        calls.push(spans.length);
        if (calls.length === 1) release = () => cb({ code: 0 });
        else cb({ code: 0 });
      },
      shutdown: async () => undefined,
    };
    const errors: string[] = [];
    const log = console.error;
    console.error = (m: string) => void errors.push(m);
    try {
      const { telemetry, provider } = createGovernanceTracing({ exporters: [{ exporter, batch: true }] });
      const total = MAX_EXPORT_BATCH + MAX_QUEUE + 100;
      for (let i = 0; i < total; i++) await telemetry.span('soos.test', {}, () => i);
      expect(calls).toEqual([MAX_EXPORT_BATCH]);
      (release as unknown as () => void)();
      await provider.forceFlush();
      expect(calls.reduce((a, b) => a + b, 0)).toBe(MAX_EXPORT_BATCH + MAX_QUEUE);
      expect(errors.some((m) => m.includes('100 governance spans were dropped'))).toBe(true);
    } finally {
      console.error = log;
    }
  });

  it('sends the spans over OTLP/HTTP: the collector receives them in the session trace with their attributes and status', async () => {
    const bodies: unknown[] = [];
    const server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        bodies.push(JSON.parse(Buffer.concat(chunks).toString('utf8')));
        res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
      });
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    try {
      const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/v1/traces`;
      const { telemetry, provider } = createGovernanceTracing({ exporters: [{ exporter: new OTLPTraceExporter({ url }), batch: true }] });
      const trace = 'ab'.repeat(16);
      await telemetry.span('soos.gar.write', { traceId: trace, attributes: { 'soos.governance.ale_seq': 7, 'soos.cap.policy_ids_evaluated': ['a', 'b'] } }, () => 1);
      await telemetry.span('soos.kia.sign', { traceId: trace }, () => Promise.reject(new Error('quorum lost'))).catch(() => undefined);
      await provider.shutdown();
      const spans = (bodies as { resourceSpans: { resource: { attributes: { key: string }[] }; scopeSpans: { scope: { name: string }; spans: Record<string, unknown>[] }[] }[] }[])
        .flatMap((b) => b.resourceSpans)
        .flatMap((rs) => rs.scopeSpans)
        .flatMap((ss) => (expect(ss.scope.name).toBe('soos.governance'), ss.spans));
      expect(spans.map((s) => s.name)).toEqual(['soos.gar.write', 'soos.kia.sign']);
      for (const s of spans) {
        expect(s.traceId).toBe(trace);
        expect(s.parentSpanId).toBe(trace.slice(0, 16));
        expect(s.spanId).toMatch(/^[0-9a-f]{16}$/);
      }
      expect(spans[0]?.attributes).toEqual([
        { key: 'soos.governance.ale_seq', value: { intValue: 7 } },
        { key: 'soos.cap.policy_ids_evaluated', value: { arrayValue: { values: [{ stringValue: 'a' }, { stringValue: 'b' }] } } },
      ]);
      expect(spans[1]?.status).toEqual({ code: 2, message: 'quorum lost' });
      expect((spans[1]?.events as { name: string }[])[0]?.name).toBe('exception');
    } finally {
      server.close();
    }
  });
});
