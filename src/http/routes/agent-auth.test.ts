import { decodeJwt } from 'jose';
import { describe, expect, it } from 'vitest';
import { agentRead, makeHarness } from '../../../test/support/harness.ts';
import { agentKeyPair, assertion, dpopHeaders } from '../../../test/support/agent-auth.ts';
import { makeOperators } from '../../../test/support/operators.ts';
import type { ReplayStore } from '../../ports/replay-store.ts';

const BASE = 'http://kee.test';

/** A kernel under KEE_AUTH=agents with agent `a1` registered under one key. */
async function setup(replayStore?: ReplayStore) {
  const ops = await makeOperators();
  const h = makeHarness({ deps: { operatorTokens: ops.verifier, options: { auth: 'agents' }, ...(replayStore ? { replayStore } : {}) } });
  await h.started;
  const key = await agentKeyPair();
  const op = await ops.bearer('operator');
  const reg = await h.call('POST', '/v1/agents', { agent_id: 'a1', public_keys: [key.jwk] }, op);
  expect(reg.status, reg.text).toBe(201);
  const aud = h.kernel.issuer;
  const open = async (claims: Record<string, unknown> = {}, k = key, agentId = 'a1') => h.call('POST', '/v1/sessions', { agent_id: agentId, client_assertion: await assertion(k, agentId, aud, claims) });
  return { h, key, op, aud, open, xpid: reg.json.xpid as string };
}

async function session(s: Awaited<ReturnType<typeof setup>>) {
  const r = await s.open();
  expect(r.status, r.text).toBe(201);
  const id = r.json.session_id as string;
  const token = r.json.session_token as string;
  const url = `${BASE}/v1/sessions/${id}/authorize`;
  return { id, token, url };
}

async function records(h: Awaited<ReturnType<typeof setup>>['h'], sessionId: string) {
  return (await h.store.listRecords(sessionId)).map((r) => JSON.parse(r.canonical) as Record<string, unknown>);
}

describe('agent client assertions (KEE_AUTH=agents)', () => {
  it('opens a session with a verified assertion: a DPoP session token bound to the key (sub = XPID, cnf.jkt), recorded as authenticated', async () => {
    const s = await setup();
    const r = await s.open();
    expect(r.status, r.text).toBe(201);
    expect(r.json).toMatchObject({ agent_id: 'a1', token_type: 'DPoP', expires_in: 3600 });
    const claims = decodeJwt(r.json.session_token);
    expect(claims).toMatchObject({ iss: s.aud, sub: s.xpid, sid: r.json.session_id, cnf: { jkt: s.key.jkt } });
    expect(typeof claims.jti).toBe('string');
    expect(claims.exp).toBe((claims.iat as number) + 3600);
    const [open] = await records(s.h, r.json.session_id);
    expect(open).toMatchObject({ ale_type: 'SESSION_OPEN', authenticated: true, agent_key_jkt: s.key.jkt, session_token_jti: claims.jti });
  });

  it('refuses a session without an assertion: 401 UNAUTHENTICATED with WWW-Authenticate: DPoP', async () => {
    const s = await setup();
    const r = await s.h.call('POST', '/v1/sessions', { agent_id: 'a1' });
    expect(r.status).toBe(401);
    expect(r.json.code).toBe('UNAUTHENTICATED');
    expect(r.headers.get('www-authenticate')).toBe('DPoP realm="kee", algs="EdDSA"');
  });

  it.each([
    ['replayed', async (s: Awaited<ReturnType<typeof setup>>) => {
      const a = await assertion(s.key, 'a1', s.aud);
      expect((await s.h.call('POST', '/v1/sessions', { agent_id: 'a1', client_assertion: a })).status).toBe(201);
      return s.h.call('POST', '/v1/sessions', { agent_id: 'a1', client_assertion: a });
    }, /already used/],
    ['expired', (s: Awaited<ReturnType<typeof setup>>) => { const t = Math.floor(Date.now() / 1000) - 120; return s.open({ iat: t, exp: t + 30 }); }, /expired/],
    ['not yet valid (nbf)', (s: Awaited<ReturnType<typeof setup>>) => { const t = Math.floor(Date.now() / 1000); return s.open({ iat: t, exp: t + 60, nbf: t + 30 }); }, /^`client_assertion`: `nbf` is in the future/],
    ['lifetime over 60 s', (s: Awaited<ReturnType<typeof setup>>) => { const t = Math.floor(Date.now() / 1000); return s.open({ iat: t, exp: t + 61 }); }, /lifetime/],
    ['wrong audience', (s: Awaited<ReturnType<typeof setup>>) => s.open({ aud: 'https://elsewhere.example' }), /aud/],
    ['wrong iss', (s: Awaited<ReturnType<typeof setup>>) => s.open({ iss: 'a2' }), /iss/],
    ['no jti', (s: Awaited<ReturnType<typeof setup>>) => s.open({ jti: undefined }), /jti/],
    // signed by the agent's key: the reason is the claim, not the signature
    ['non-numeric exp', (s: Awaited<ReturnType<typeof setup>>) => s.open({ exp: 'soon' }), /^`client_assertion`: `iat` and `exp` are required numbers$/],
    ['non-numeric iat', (s: Awaited<ReturnType<typeof setup>>) => s.open({ iat: '2026-12-06' }), /^`client_assertion`: `iat` and `exp` are required numbers$/],
    ['wrong key', async (s: Awaited<ReturnType<typeof setup>>) => s.open({}, await agentKeyPair()), /not signed by a registered key/],
    ['unregistered agent', async (s: Awaited<ReturnType<typeof setup>>) => s.open({}, s.key, 'ghost'), /not registered/],
  ])('refuses a %s assertion: 401 UNAUTHENTICATED', async (_name, make, why) => {
    const s = await setup();
    const r = await make(s);
    expect(r.status, r.text).toBe(401);
    expect(r.json.code).toBe('UNAUTHENTICATED');
    expect(r.json.detail).toMatch(why);
    expect(r.headers.get('www-authenticate')).toContain('error="invalid_token"');
  });

  it('a suspended agent cannot open a session (403 FORBIDDEN), and its open session DENIES with a recorded reason', async () => {
    const s = await setup();
    const { id, token, url } = await session(s);
    expect((await s.h.call('PATCH', '/v1/agents/a1', { status: 'SUSPENDED' }, s.op)).status).toBe(200);
    const refused = await s.open();
    expect(refused.status, refused.text).toBe(403);
    expect(refused.json.code).toBe('FORBIDDEN');
    expect(refused.headers.get('www-authenticate')).toContain('DPoP');
    const d = await s.h.call('POST', `/v1/sessions/${id}/authorize`, agentRead('a1'), await dpopHeaders(s.key, 'POST', url, token));
    expect(d.status, d.text).toBe(200);
    expect(d.json.decision).toBe('DENY');
    expect(d.json.reasons[0]).toMatch(/^AGENT_SUSPENDED/);
    expect(d.json.credential).toBeUndefined();
    const rec = (await records(s.h, id)).find((r) => r.ale_seq === d.json.ale_seq);
    expect(rec).toMatchObject({ ale_type: 'CEDAR_DENY', reasons: [expect.stringMatching(/^AGENT_SUSPENDED/)] });
    // and revoked likewise
    await s.h.call('POST', '/v1/agents/a1/revoke', undefined, s.op);
    const d2 = await s.h.call('POST', `/v1/sessions/${id}/authorize`, agentRead('a1'), await dpopHeaders(s.key, 'POST', url, token));
    expect(d2.json.reasons[0]).toMatch(/^AGENT_REVOKED/);
  });
});

describe('DPoP on authorize and close (KEE_AUTH=agents)', () => {
  it('a proven call PERMITs with a credential carrying cnf.jkt; batch and close work with fresh proofs', async () => {
    const s = await setup();
    const { id, token, url } = await session(s);
    const d = await s.h.call('POST', `/v1/sessions/${id}/authorize`, agentRead('a1'), await dpopHeaders(s.key, 'POST', url, token));
    expect(d.status, d.text).toBe(200);
    expect(d.json.decision).toBe('PERMIT');
    expect(decodeJwt(d.json.credential)).toMatchObject({ sub: s.xpid, cnf: { jkt: s.key.jkt } });
    const b = await s.h.call('POST', `/v1/sessions/${id}/authorize/batch`, { requests: [agentRead('a1')] }, await dpopHeaders(s.key, 'POST', `${url}/batch`, token));
    expect(b.status, b.text).toBe(200);
    expect(b.json.results[0].decision).toBe('PERMIT');
    const closeUrl = `${BASE}/v1/sessions/${id}/close`;
    expect((await s.h.call('POST', `/v1/sessions/${id}/close`, undefined, { authorization: `DPoP ${token}` })).status).toBe(401);
    const c = await s.h.call('POST', `/v1/sessions/${id}/close`, undefined, await dpopHeaders(s.key, 'POST', closeUrl, token));
    expect(c.status, c.text).toBe(200);
  });

  it.each([
    ['no DPoP proof', async (_k: any, _url: string, token: string): Promise<Record<string, string>> => ({ authorization: `DPoP ${token}` }), /DPoP. proof header is missing/],
    ['no session token', async (k: any, url: string, token: string): Promise<Record<string, string>> => ({ dpop: (await dpopHeaders(k, 'POST', url, token)).dpop as string }), /Authorization: DPoP/],
    ['a proof by another key', async (_k: any, url: string, token: string) => dpopHeaders(await agentKeyPair(), 'POST', url, token), /not signed by the key the session is bound to/],
    ['a wrong htm', async (k: any, url: string, token: string) => dpopHeaders(k, 'GET', url, token), /htm/],
    ['a wrong htu', async (k: any, url: string, token: string) => dpopHeaders(k, 'POST', `${url}/batch`, token), /htu/],
    ['a stale iat', async (k: any, url: string, token: string) => dpopHeaders(k, 'POST', url, token, { iat: Math.floor(Date.now() / 1000) - 120 }), /iat/],
    ['an exp that has passed', async (k: any, url: string, token: string) => dpopHeaders(k, 'POST', url, token, { exp: Math.floor(Date.now() / 1000) - 30 }), /`exp` has passed/],
    ['an nbf in the future', async (k: any, url: string, token: string) => dpopHeaders(k, 'POST', url, token, { nbf: Math.floor(Date.now() / 1000) + 30 }), /`nbf` is in the future/],
    ['a wrong ath', async (k: any, url: string, token: string) => dpopHeaders(k, 'POST', url, token, { ath: 'x'.repeat(43) }), /ath/],
    ['no jti', async (k: any, url: string, token: string) => dpopHeaders(k, 'POST', url, token, { jti: undefined }), /jti/],
    ['a tampered session token', async (k: any, url: string, token: string) => dpopHeaders(k, 'POST', url, `${token.slice(0, -4)}AAAA`), /session token does not verify/],
  ])('refuses %s: 401 UNAUTHENTICATED, nothing decided', async (_name, headers, why) => {
    const s = await setup();
    const { id, token, url } = await session(s);
    const r = await s.h.call('POST', `/v1/sessions/${id}/authorize`, agentRead('a1'), await headers(s.key, url, token));
    expect(r.status, r.text).toBe(401);
    expect(r.json.code).toBe('UNAUTHENTICATED');
    expect(r.json.detail).toMatch(why);
    expect(r.headers.get('www-authenticate')).toMatch(/^DPoP realm="kee"/);
    expect((await records(s.h, id)).map((x) => x.ale_type)).toEqual(['SESSION_OPEN']);
  });

  it('refuses a replayed DPoP proof', async () => {
    const s = await setup();
    const { id, token, url } = await session(s);
    const headers = await dpopHeaders(s.key, 'POST', url, token);
    expect((await s.h.call('POST', `/v1/sessions/${id}/authorize`, agentRead('a1'), headers)).status).toBe(200);
    const again = await s.h.call('POST', `/v1/sessions/${id}/authorize`, agentRead('a1'), headers);
    expect(again.status).toBe(401);
    expect(again.json.detail).toMatch(/already used/);
  });

  it('with a shared replay store (workerd isolates over one D1): an id another kernel accepted is refused; a store that cannot answer refuses (503), nothing decided', async () => {
    const claimed = new Map<string, number>();
    let down = false;
    const shared: ReplayStore = {
      async claim(id, expiresAt) {
        if (down) throw new Error('D1_ERROR: network connection lost');
        if (claimed.has(id)) return false;
        claimed.set(id, expiresAt);
        return true;
      },
    };
    const s = await setup(shared);
    const { id, token, url } = await session(s);
    const [opened] = [...claimed.keys()];
    expect(JSON.parse(opened as string)).toEqual(['assertion', 'a1', expect.any(String)]);
    const jtiOf = (proof: string) => decodeJwt(proof).jti as string;
    // another kernel (isolate) accepted this proof: this one has never seen it, the shared store has
    const elsewhere = await dpopHeaders(s.key, 'POST', url, token);
    claimed.set(JSON.stringify(['dpop', s.key.jkt, jtiOf(elsewhere.dpop as string)]), 0);
    const replayed = await s.h.call('POST', `/v1/sessions/${id}/authorize`, agentRead('a1'), elsewhere);
    expect(replayed.status, replayed.text).toBe(401);
    expect(replayed.json.detail).toBe('the `DPoP` proof was already used (`jti` replayed)');
    down = true;
    const unreachable = await s.h.call('POST', `/v1/sessions/${id}/authorize`, agentRead('a1'), await dpopHeaders(s.key, 'POST', url, token));
    expect(unreachable.status, unreachable.text).toBe(503);
    expect(unreachable.json).toMatchObject({ code: 'UNAVAILABLE', detail: 'the shared replay store cannot be reached: the proof is refused rather than accepted unchecked; retry shortly' });
    expect(unreachable.text).not.toContain('D1_ERROR');
    expect((await s.open()).status).toBe(503);
    expect((await records(s.h, id)).map((x) => x.ale_type)).toEqual(['SESSION_OPEN']);
    down = false;
    const fresh = await dpopHeaders(s.key, 'POST', url, token);
    expect((await s.h.call('POST', `/v1/sessions/${id}/authorize`, agentRead('a1'), fresh)).status).toBe(200);
    expect(claimed.get(JSON.stringify(['dpop', s.key.jkt, jtiOf(fresh.dpop as string)]))).toBe((decodeJwt(fresh.dpop as string).iat as number) + 65);
    // an assertion another kernel accepted
    const a = await assertion(s.key, 'a1', s.aud);
    claimed.set(JSON.stringify(['assertion', 'a1', decodeJwt(a).jti]), 0);
    const again = await s.h.call('POST', '/v1/sessions', { agent_id: 'a1', client_assertion: a });
    expect(again.status).toBe(401);
    expect(again.json.detail).toMatch(/already used/);
  });

  it("refuses a session token of another session", async () => {
    const s = await setup();
    const first = await session(s);
    const second = await session(s);
    const r = await s.h.call('POST', `/v1/sessions/${second.id}/authorize`, agentRead('a1'), await dpopHeaders(s.key, 'POST', second.url, first.token));
    expect(r.status).toBe(401);
    expect(r.json.detail).toMatch(/not for this session/);
  });

  it('a principal other than the session agent is a DENY recorded with PRINCIPAL_MISMATCH (in a batch too)', async () => {
    const s = await setup();
    const { id, token, url } = await session(s);
    const d = await s.h.call('POST', `/v1/sessions/${id}/authorize`, agentRead('someone-else'), await dpopHeaders(s.key, 'POST', url, token));
    expect(d.status, d.text).toBe(200);
    expect(d.json.decision).toBe('DENY');
    expect(d.json.reasons[0]).toMatch(/^PRINCIPAL_MISMATCH/);
    expect(d.json.credential).toBeUndefined();
    const b = await s.h.call('POST', `/v1/sessions/${id}/authorize/batch`, { requests: [agentRead('a1'), { ...agentRead('a1'), principal: { type: 'User', id: 'a1' } }] }, await dpopHeaders(s.key, 'POST', `${url}/batch`, token));
    expect(b.json.results.map((x: { decision: string }) => x.decision)).toEqual(['PERMIT', 'DENY']);
    const recs = await records(s.h, id);
    expect(recs.filter((r) => r.ale_type === 'CEDAR_DENY').map((r) => (r.reasons as string[])[0])).toEqual([expect.stringMatching(/^PRINCIPAL_MISMATCH/), expect.stringMatching(/^PRINCIPAL_MISMATCH/)]);
  });

  it('refuses one-shot decisions (401): agents authenticate through sessions', async () => {
    const s = await setup();
    const r = await s.h.call('POST', '/v1/authorize', agentRead('a1'));
    expect(r.status).toBe(401);
    expect(r.headers.get('www-authenticate')).toMatch(/^DPoP/);
  });
});

describe('KEE_AUTH=none', () => {
  it('any agent_id opens a session, recorded unauthenticated, with no session token; credentials carry no cnf; the Manifest declares the mode', async () => {
    const h = makeHarness();
    await h.started;
    const r = await h.call('POST', '/v1/sessions', { agent_id: 'anyone' });
    expect(r.status).toBe(201);
    expect(r.json.session_token).toBeUndefined();
    const [open] = await records(h as never, r.json.session_id);
    expect(open).toMatchObject({ ale_type: 'SESSION_OPEN', authenticated: false });
    const d = await h.call('POST', `/v1/sessions/${r.json.session_id}/authorize`, agentRead('agent-1'));
    expect(d.json.decision).toBe('PERMIT');
    expect(decodeJwt(d.json.credential).cnf).toBeUndefined();
    expect((await h.call('GET', '/v1/manifest')).json.agent_authentication).toBe('none');
  });

  it('a session of a registered agent suspended since DENIES with AGENT_SUSPENDED here too', async () => {
    const ops = await makeOperators();
    const h = makeHarness({ deps: { operatorTokens: ops.verifier } });
    await h.started;
    const op = await ops.bearer('operator');
    await h.call('POST', '/v1/agents', { agent_id: 'a1', public_keys: [(await agentKeyPair()).jwk] }, op);
    const { json: s } = await h.call('POST', '/v1/sessions', { agent_id: 'a1' });
    expect((await h.call('POST', `/v1/sessions/${s.session_id}/authorize`, agentRead('a1'))).json.decision).toBe('PERMIT');
    await h.call('PATCH', '/v1/agents/a1', { status: 'SUSPENDED' }, op);
    const d = await h.call('POST', `/v1/sessions/${s.session_id}/authorize`, agentRead('a1'));
    expect(d.json).toMatchObject({ decision: 'DENY', reasons: [expect.stringMatching(/^AGENT_SUSPENDED: agent `a1` is SUSPENDED/)] });
    await h.call('PATCH', '/v1/agents/a1', { status: 'ACTIVE' }, op);
    expect((await h.call('POST', `/v1/sessions/${s.session_id}/authorize`, agentRead('a1'))).json.decision).toBe('PERMIT');
  });

  it('the Manifest declares KEE_AUTH=agents', async () => {
    const s = await setup();
    expect((await s.h.call('GET', '/v1/manifest')).json.agent_authentication).toBe('agents');
  });
});
