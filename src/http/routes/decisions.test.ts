import { describe, expect, it } from 'vitest';
import { ed25519Verifier } from '../../adapters/noble/ed25519.ts';
import { verifyPackage } from '../../kernel/audit/verify-package.ts';
import type { PolicyEngine } from '../../ports/policy.ts';
import { agentRead, approvedGold, classifyGold, engineFactory, makeHarness } from '../../../test/support/harness.ts';
import { DEFAULT_CAP_PROFILE } from '../../adapters/cedar/default-profile.ts';
import { MAX_BATCH, MAX_BATCH_BYTES } from '../schemas.ts';

const records = (h: ReturnType<typeof makeHarness>, sessionId: string) => h.store.rawRecords(sessionId).map((r) => JSON.parse(r.canonical));

/** A clock the test moves by hand (the kernel clock decides when a one-shot session is too old). */
function manualClock(start = Date.parse('2026-12-05T10:00:00.000Z')) {
  let now = start;
  return { nowIso: () => new Date(now).toISOString(), advance: (ms: number) => void (now += ms) };
}

describe('POST /v1/authorize (one-shot)', () => {
  it('answers like the session route, plus the session and block the record is in', async () => {
    const h = makeHarness();
    const { json: s } = await h.call('POST', '/v1/sessions', { agent_id: 'a' });
    for (const request of [agentRead(), classifyGold(false), classifyGold(true)]) {
      const viaSession = await h.call('POST', `/v1/sessions/${s.session_id}/authorize`, request);
      const oneShot = await h.call('POST', '/v1/authorize', request);
      expect(oneShot.status).toBe(200);
      expect(oneShot.headers.get('content-type')).toMatch(/^application\/json/);
      const { ale_seq: _a, credential: c1, escalation: e1, ...same } = viaSession.json;
      const { ale_seq, session_id, block_id, credential: c2, escalation: e2, ...rest } = oneShot.json;
      expect(rest).toEqual(same);
      // a classify_gold DENY opens an escalation in each route's own session
      expect(e2?.status).toBe(e1?.status);
      if (e1 !== undefined) expect(e2.hem_id).not.toBe(e1.hem_id);
      // a PERMIT's credential is its own (jti, ale_seq, block): present in both or in neither
      expect(typeof c2).toBe(typeof c1);
      expect(Object.keys(oneShot.json).sort()).toEqual(['ale_seq', 'block_id', 'cedar_policy_hash', ...(c2 === undefined ? [] : ['credential']), ...(e2 === undefined ? [] : ['escalation']), 'decision', 'policy_ids', 'reasons', 'session_id'].sort());
      expect(session_id).toMatch(/^[0-9a-f-]{36}$/);
      expect(block_id).toMatch(/^[0-9a-f]{32}$/);
      // durable before the answer: the record is in the store, at the ale_seq answered
      const rec = records(h, session_id).find((r) => r.ale_seq === ale_seq);
      expect(rec).toMatchObject({ ale_type: oneShot.json.decision === 'PERMIT' ? 'CEDAR_PERMIT' : 'CEDAR_DENY', decision: oneShot.json.decision, principal: request.principal, block_id });
    }
  });

  it('keeps one kernel-managed session per principal, whose agent is the principal', async () => {
    const h = makeHarness();
    const a1 = (await h.call('POST', '/v1/authorize', agentRead('a1'))).json;
    const a1again = (await h.call('POST', '/v1/authorize', agentRead('a1'))).json;
    const a2 = (await h.call('POST', '/v1/authorize', agentRead('a2'))).json;
    expect(a1again.session_id).toBe(a1.session_id);
    expect(a1again.ale_seq).toBe(a1.ale_seq + 1);
    expect(a2.session_id).not.toBe(a1.session_id);
    const open = records(h, a1.session_id)[0];
    expect(open).toMatchObject({ ale_type: 'SESSION_OPEN', agent_id: 'Agent::"a1"' });
  });

  it('its record appears in a verifiable audit package once the session block closes', async () => {
    const h = makeHarness();
    const r = (await h.call('POST', '/v1/authorize', await approvedGold(h, '/v1/authorize'))).json;
    expect(r.decision).toBe('PERMIT');
    expect((await h.call('GET', `/v1/audit/blocks/${r.block_id}/package`)).status).toBe(404);
    await h.kernel.closeOneShotSessions();
    const pkg = await h.call('GET', `/v1/audit/blocks/${r.block_id}/package`);
    expect(pkg.status).toBe(200);
    expect(verifyPackage(pkg.json, { merkle: h.merkle, verifier: ed25519Verifier })).toMatchObject({ ok: true, block_id: r.block_id });
    const rec = pkg.json.records.map((x: { record: unknown }) => x.record).find((x: { ale_seq: number }) => x.ale_seq === r.ale_seq);
    expect(rec).toMatchObject({ ale_type: 'CEDAR_PERMIT', session_id: r.session_id, principal: classifyGold(true).principal });
    // the next decision opens a fresh session
    const next = (await h.call('POST', '/v1/authorize', classifyGold(true))).json;
    expect(next.session_id).not.toBe(r.session_id);
  });

  it('closes a session into its block after maxRecords decisions', async () => {
    const h = makeHarness({ deps: { options: { oneShot: { maxRecords: 2 } } } });
    const first = (await h.call('POST', '/v1/authorize', agentRead())).json;
    const second = (await h.call('POST', '/v1/authorize', agentRead())).json;
    const third = (await h.call('POST', '/v1/authorize', agentRead())).json;
    expect(second.session_id).toBe(first.session_id);
    expect(third.session_id).not.toBe(first.session_id);
    await h.kernel.closeOneShotSessions();
    const block = await h.call('GET', `/v1/audit/blocks/${first.block_id}`);
    expect(block.status).toBe(200);
    // SESSION_OPEN, two decisions, SESSION_COMPLETE
    expect(records(h, first.session_id).map((r) => r.ale_type)).toEqual(['SESSION_OPEN', 'CEDAR_PERMIT', 'CEDAR_PERMIT', 'SESSION_COMPLETE']);
  });

  it('closes a session after maxAgeMs of the kernel clock', async () => {
    const clock = manualClock();
    const h = makeHarness({ deps: { clock, options: { oneShot: { maxAgeMs: 60_000 } } } });
    const first = (await h.call('POST', '/v1/authorize', agentRead())).json;
    clock.advance(59_999);
    expect((await h.call('POST', '/v1/authorize', agentRead())).json.session_id).toBe(first.session_id);
    clock.advance(1);
    const later = (await h.call('POST', '/v1/authorize', agentRead())).json;
    expect(later.session_id).not.toBe(first.session_id);
    await h.kernel.closeOneShotSessions();
    expect((await h.call('GET', `/v1/audit/blocks/${first.block_id}`)).status).toBe(200);
  });

  it('without shared promises (workerd): concurrent decisions all recorded, a rotation closes inside the request', async () => {
    const h = makeHarness({ deps: { options: { groupCommit: false, oneShot: { maxRecords: 2 } } } });
    const first = (await h.call('POST', '/v1/authorize', agentRead())).json;
    const second = (await h.call('POST', '/v1/authorize', agentRead())).json;
    expect(second.session_id).toBe(first.session_id);
    // closed before the answer of the decision that filled it, not later
    expect((await h.call('GET', `/v1/audit/blocks/${first.block_id}`)).status).toBe(200);
    const burst = await Promise.all(Array.from({ length: 6 }, () => h.call('POST', '/v1/authorize', agentRead())));
    for (const r of burst) {
      expect(r.status).toBe(200);
      expect(records(h, r.json.session_id).find((x) => x.ale_seq === r.json.ale_seq)).toMatchObject({ decision: 'PERMIT', block_id: r.json.block_id });
    }
    await h.kernel.closeOneShotSessions();
    for (const r of burst) {
      const pkg = await h.call('GET', `/v1/audit/blocks/${r.json.block_id}/package`);
      expect(pkg.status).toBe(200);
      expect(verifyPackage(pkg.json, { merkle: h.merkle, verifier: ed25519Verifier }).ok).toBe(true);
    }
  });

  it('opens a fresh session when a caller closed the managed one', async () => {
    const h = makeHarness();
    const first = (await h.call('POST', '/v1/authorize', agentRead())).json;
    expect((await h.call('POST', `/v1/sessions/${first.session_id}/close`)).status).toBe(200);
    const next = await h.call('POST', '/v1/authorize', agentRead());
    expect(next.status).toBe(200);
    expect(next.json.session_id).not.toBe(first.session_id);
  });

  it('fails closed like the session route: no decision without a durable record', async () => {
    const notStarted = makeHarness({ start: false });
    const r = await notStarted.call('POST', '/v1/authorize', agentRead());
    expect(r.status).toBe(503);
    expect(r.json.code).toBe('KERNEL_NOT_STARTED');

    const h = makeHarness();
    const ok = (await h.call('POST', '/v1/authorize', agentRead())).json;
    h.store.failWith = new Error('disk gone');
    const down = await h.call('POST', '/v1/authorize', agentRead());
    expect(down.status).toBe(503);
    expect(down.json.decision).toBeUndefined();
    h.store.failWith = null;
    expect(records(h, ok.session_id).filter((x) => x.ale_type === 'CEDAR_PERMIT')).toHaveLength(1);
  });

  it('refuses a malformed body with 400 and records nothing', async () => {
    const h = makeHarness();
    const r = await h.call('POST', '/v1/authorize', { ...agentRead(), extra: 1 });
    expect(r.status).toBe(400);
    expect(r.json.code).toBe('INVALID_INPUT');
    expect(h.kernel.metricsSnapshot().oneShotSessionsOpen).toBe(0);
  });
});

/** The default engine, except that evaluating resource `boom` throws. */
function engineFailingOn(resourceId: string): PolicyEngine {
  const real = engineFactory().load(DEFAULT_CAP_PROFILE);
  return {
    active: () => real.active(),
    rehash: () => real.rehash?.() ?? '',
    evaluate: (req) => {
      if (req.resource.id === resourceId) throw new Error('engine fault');
      return real.evaluate(req);
    },
  };
}

describe('POST …/authorize/batch', () => {
  it('answers one result per request, in order, each recorded in order', async () => {
    const h = makeHarness();
    const { json: s } = await h.call('POST', '/v1/sessions', { agent_id: 'a' });
    // ale_seq 2: the DENY whose escalation an approver approved
    const requests = [agentRead(), classifyGold(false), await approvedGold(h, `/v1/sessions/${s.session_id}/authorize`)];
    const r = await h.call('POST', `/v1/sessions/${s.session_id}/authorize/batch`, { requests });
    expect(r.status).toBe(200);
    expect(Object.keys(r.json)).toEqual(['results']);
    expect(r.json.results.map((x: { decision: string }) => x.decision)).toEqual(['PERMIT', 'DENY', 'PERMIT']);
    expect(r.json.results.map((x: { ale_seq: number }) => x.ale_seq)).toEqual([3, 4, 5]);
    const stored = records(h, s.session_id).slice(2);
    expect(stored.map((x) => [x.ale_seq, x.decision, x.action.id])).toEqual([
      [3, 'PERMIT', 'read'],
      [4, 'DENY', 'classify_gold'],
      [5, 'PERMIT', 'classify_gold'],
    ]);
    // each result is what the single route answers for that request
    const single = await h.call('POST', `/v1/sessions/${s.session_id}/authorize`, classifyGold(false));
    const { ale_seq: _x, ...a } = single.json;
    const { ale_seq: _y, ...b } = r.json.results[1];
    expect(b).toEqual(a);
  });

  it("one request's failure to evaluate is a DENY for that one only", async () => {
    const h = makeHarness({ deps: { policy: engineFailingOn('boom') } });
    const { json: s } = await h.call('POST', '/v1/sessions', { agent_id: 'a' });
    const boom = { ...agentRead(), resource: { type: 'Dataset', id: 'boom' } };
    const r = await h.call('POST', `/v1/sessions/${s.session_id}/authorize/batch`, { requests: [agentRead(), boom, agentRead()] });
    expect(r.json.results.map((x: { decision: string }) => x.decision)).toEqual(['PERMIT', 'DENY', 'PERMIT']);
    expect(r.json.results[1].reasons.join(' ')).toContain('engine fault');
    expect(records(h, s.session_id)[2]).toMatchObject({ ale_type: 'CEDAR_DENY', resource: { id: 'boom' } });
    const one = await h.call('POST', '/v1/authorize/batch', { requests: [boom, agentRead()] });
    expect(one.json.results.map((x: { decision: string }) => x.decision)).toEqual(['DENY', 'PERMIT']);
  });

  it(`takes 1 to ${MAX_BATCH} requests; outside that, 400 and nothing recorded`, async () => {
    const h = makeHarness();
    const { json: s } = await h.call('POST', '/v1/sessions', { agent_id: 'a' });
    for (const requests of [[], Array.from({ length: MAX_BATCH + 1 }, () => agentRead())]) {
      for (const path of [`/v1/sessions/${s.session_id}/authorize/batch`, '/v1/authorize/batch']) {
        const r = await h.call('POST', path, { requests });
        expect(r.status).toBe(400);
        expect(r.json.code).toBe('INVALID_INPUT');
      }
    }
    const bad = await h.call('POST', `/v1/sessions/${s.session_id}/authorize/batch`, { requests: [agentRead(), { principal: 1 }] });
    expect(bad.status).toBe(400);
    expect(records(h, s.session_id)).toHaveLength(1);
    const full = await h.call('POST', `/v1/sessions/${s.session_id}/authorize/batch`, { requests: Array.from({ length: MAX_BATCH }, () => agentRead()) });
    expect(full.json.results).toHaveLength(MAX_BATCH);
    // bodies past 1 MiB are refused before they are read as JSON
    const big = { ...agentRead(), context: { note: 'x'.repeat(11 * 1024) } };
    const tooLarge = await h.call('POST', `/v1/sessions/${s.session_id}/authorize/batch`, { requests: Array.from({ length: MAX_BATCH }, () => big) });
    expect(tooLarge.status).toBe(413);
    expect(tooLarge.json.code).toBe('PAYLOAD_TOO_LARGE');
    expect(tooLarge.json.detail).toContain(String(MAX_BATCH_BYTES));
  });

  it('refuses a closed or unknown session like the single route', async () => {
    const h = makeHarness();
    const { json: s } = await h.call('POST', '/v1/sessions', { agent_id: 'a' });
    await h.call('POST', `/v1/sessions/${s.session_id}/close`);
    expect((await h.call('POST', `/v1/sessions/${s.session_id}/authorize/batch`, { requests: [agentRead()] })).json.code).toBe('SESSION_CLOSED');
    expect((await h.call('POST', `/v1/sessions/${crypto.randomUUID()}/authorize/batch`, { requests: [agentRead()] })).json.code).toBe('SESSION_NOT_FOUND');
  });

  it('one-shot batch: results in order, each in its principal\'s session', async () => {
    const h = makeHarness();
    const requests = [agentRead('a1'), agentRead('a2'), classifyGold(false), agentRead('a1')];
    const r = await h.call('POST', '/v1/authorize/batch', { requests });
    expect(r.status).toBe(200);
    const res = r.json.results;
    expect(res.map((x: { decision: string }) => x.decision)).toEqual(['PERMIT', 'PERMIT', 'DENY', 'PERMIT']);
    expect(res[3].session_id).toBe(res[0].session_id);
    expect(res[3].ale_seq).toBe(res[0].ale_seq + 1);
    expect(new Set(res.map((x: { session_id: string }) => x.session_id)).size).toBe(3);
    for (const [i, x] of res.entries()) {
      expect(records(h, x.session_id).find((rec) => rec.ale_seq === x.ale_seq)).toMatchObject({ principal: requests[i]?.principal, decision: x.decision });
    }
  });
});
