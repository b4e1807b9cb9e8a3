import { describe, expect, it } from 'vitest';
import { agentRead, makeHarness } from '../../../test/support/harness.ts';
import { makeOperators } from '../../../test/support/operators.ts';

async function setup() {
  const ops = await makeOperators();
  const h = makeHarness({ deps: { operatorTokens: ops.verifier } });
  await h.started;
  return { h, bearer: ops.bearer };
}

/** The `data` of each `event: decision` in an SSE body. */
function events(text: string): Record<string, unknown>[] {
  return text
    .split('\n\n')
    .filter((b) => /^event: decision$/m.test(b))
    .map((b) => JSON.parse(b.split('\n').find((l) => l.startsWith('data: '))!.slice(6)));
}

describe('GET /v1/decisions/stream', () => {
  it('follow=false: the held decisions as server-sent events, each naming its record, then the end', async () => {
    const { h, bearer } = await setup();
    const s = (await h.call('POST', '/v1/sessions', { agent_id: 'agent-1' })).json;
    const permit = (await h.call('POST', `/v1/sessions/${s.session_id}/authorize`, agentRead())).json;
    const deny = (await h.call('POST', `/v1/sessions/${s.session_id}/authorize`, { ...agentRead(), action: { type: 'Action', id: 'delete' } })).json;
    const res = await h.call('GET', '/v1/decisions/stream?follow=false', undefined, await bearer('auditor'));
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^text\/event-stream/);
    const got = events(res.text);
    expect(got.map((e) => [e.decision, e.ale_seq])).toEqual([[permit.decision, permit.ale_seq], [deny.decision, deny.ale_seq]]);
    expect(got[0]).toMatchObject({ session_id: s.session_id, block_id: s.block_id, agent_id: 'agent-1', principal: 'Agent::"agent-1"', action: 'Action::"read"', resource: 'Dataset::"quake-sensors"', policy_ids: permit.policy_ids });
    expect(got[1]).toMatchObject({ decision: 'DENY', action: 'Action::"delete"', policy_ids: deny.policy_ids });
    expect(typeof got[0]!.latency_ms).toBe('number');
    expect(Object.keys(got[0]!)).not.toContain('context');
    expect(res.text).toMatch(/^id: 1$/m);
  });

  it('follows: a decision made after the stream opened arrives on it', async () => {
    const { h, bearer } = await setup();
    const res = await h.app.request('http://kee.test/v1/decisions/stream', { headers: await bearer('operator') });
    expect(res.status).toBe(200);
    const reader = res.body!.pipeThrough(new TextDecoderStream()).getReader();
    const s = (await h.call('POST', '/v1/sessions', { agent_id: 'late' })).json;
    const r = (await h.call('POST', `/v1/sessions/${s.session_id}/authorize`, agentRead('late'))).json;
    let text = '';
    while (!text.includes('\n\n')) text += (await reader.read()).value ?? '';
    await reader.cancel();
    expect(events(text)).toEqual([expect.objectContaining({ agent_id: 'late', ale_seq: r.ale_seq, decision: r.decision })]);
  });

  it('only operators and auditors: 401 without a token, 403 for an approver, 400 for a bad follow', async () => {
    const { h, bearer } = await setup();
    expect((await h.call('GET', '/v1/decisions/stream')).json.code).toBe('UNAUTHENTICATED');
    const approver = await h.call('GET', '/v1/decisions/stream?follow=false', undefined, await bearer('approver'));
    expect([approver.status, approver.json.code]).toEqual([403, 'FORBIDDEN']);
    const bad = await h.call('GET', '/v1/decisions/stream?follow=maybe', undefined, await bearer('auditor'));
    expect([bad.status, bad.json.code]).toEqual([400, 'INVALID_INPUT']);
  });

  it('keeps the last 200 decisions for a new subscriber', async () => {
    const { h } = await setup();
    const s = (await h.call('POST', '/v1/sessions', { agent_id: 'many' })).json;
    const results: { ale_seq: number }[] = [];
    for (const n of [100, 100, 5]) {
      const batch = { requests: Array.from({ length: n }, () => agentRead('many')) };
      results.push(...(await h.call('POST', `/v1/sessions/${s.session_id}/authorize/batch`, batch)).json.results);
    }
    const held = h.kernel.decisions.latest();
    expect(held).toHaveLength(200);
    expect(held.map((e) => e.ale_seq)).toEqual(results.slice(5).map((r) => r.ale_seq));
  });
});
