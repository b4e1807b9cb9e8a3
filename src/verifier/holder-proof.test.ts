import { Hono } from 'hono';
import { describe, expect, it } from 'vitest';
import { agentKeyPair, assertion, dpopHeaders, dpopProof } from '../../test/support/agent-auth.ts';
import { agentRead, makeHarness } from '../../test/support/harness.ts';
import { makeOperators } from '../../test/support/operators.ts';
import { createCredentialVerifier, keeCredential } from './index.ts';

const AUD = 'https://files.example';
const FILE_URL = 'https://files.example/files/quake-sensors';

/** A credential from an authenticated session (KEE_AUTH=agents): it carries cnf.jkt of `key`. */
async function setup() {
  const ops = await makeOperators();
  const h = makeHarness({ deps: { operatorTokens: ops.verifier, options: { auth: 'agents' } } });
  await h.started;
  const key = await agentKeyPair();
  await h.call('POST', '/v1/agents', { agent_id: 'a1', public_keys: [key.jwk] }, await ops.bearer('operator'));
  const { json: s } = await h.call('POST', '/v1/sessions', { agent_id: 'a1', client_assertion: await assertion(key, 'a1', h.kernel.issuer) });
  const url = `http://kee.test/v1/sessions/${s.session_id}/authorize`;
  const d = await h.call('POST', `/v1/sessions/${s.session_id}/authorize`, { ...agentRead('a1'), audience: AUD }, await dpopHeaders(key, 'POST', url, s.session_token));
  expect(d.json.decision).toBe('PERMIT');
  const verifier = createCredentialVerifier({ kernelUrl: 'http://kee.test', issuer: h.kernel.issuer, audience: AUD, fetch: ((input: RequestInfo | URL, init?: RequestInit) => h.app.request(String(input), init)) as typeof fetch, pollSeconds: 0 });
  return { h, key, credential: d.json.credential as string, sessionId: s.session_id as string, sessionToken: s.session_token as string, verifier };
}

describe('kee/verifier: holder proof of a credential with cnf.jkt (DPoP)', () => {
  it('accepts the holder’s proof, refuses none, another key, another method or URL, a stale one, an expired or not-yet-valid one, a wrong ath, a replay', async () => {
    const { key, credential, sessionToken, verifier } = await setup();
    const intent = agentRead('a1');
    const proof = async (k = key, method = 'GET', url = FILE_URL, token = credential, claims: Record<string, unknown> = {}) => ({ dpop: await dpopProof(k, method, url, token, claims), method: 'GET', url: FILE_URL });
    expect(await verifier.verify(credential, intent)).toMatchObject({ ok: false, code: 'PROOF_MISSING' });
    expect(await verifier.verify(credential, intent, await proof(await agentKeyPair()))).toMatchObject({ ok: false, code: 'PROOF_INVALID', reason: expect.stringMatching(/not signed by the key/) });
    expect(await verifier.verify(credential, intent, await proof(key, 'POST'))).toMatchObject({ ok: false, code: 'PROOF_INVALID', reason: expect.stringMatching(/htm/) });
    expect(await verifier.verify(credential, intent, await proof(key, 'GET', 'https://files.example/files/other'))).toMatchObject({ ok: false, code: 'PROOF_INVALID', reason: expect.stringMatching(/htu/) });
    expect(await verifier.verify(credential, intent, await proof(key, 'GET', FILE_URL, credential, { iat: Math.floor(Date.now() / 1000) - 300 }))).toMatchObject({ ok: false, code: 'PROOF_INVALID', reason: expect.stringMatching(/iat/) });
    const now = Math.floor(Date.now() / 1000);
    expect(await verifier.verify(credential, intent, await proof(key, 'GET', FILE_URL, credential, { exp: now - 30 }))).toMatchObject({ ok: false, code: 'PROOF_INVALID', reason: "the `DPoP` proof's `exp` has passed" });
    expect(await verifier.verify(credential, intent, await proof(key, 'GET', FILE_URL, credential, { nbf: now + 30 }))).toMatchObject({ ok: false, code: 'PROOF_INVALID', reason: "the `DPoP` proof's `nbf` is in the future" });
    expect(await verifier.verify(credential, intent, await proof(key, 'GET', FILE_URL, sessionToken))).toMatchObject({ ok: false, code: 'PROOF_INVALID', reason: expect.stringMatching(/ath/) });
    const good = await proof();
    expect(await verifier.verify(credential, intent, good)).toMatchObject({ ok: true, claims: { cnf: { jkt: key.jkt } } });
    expect(await verifier.verify(credential, intent, good)).toMatchObject({ ok: false, code: 'PROOF_INVALID', reason: expect.stringMatching(/already used/) });
  });

  it('a proof naming the holder key (already seen and kept imported) but signed by another key is refused, by the verifier and by the kernel', async () => {
    const { h, key, credential, sessionId: sid, sessionToken, verifier } = await setup();
    const intent = agentRead('a1');
    const impostor = { ...(await agentKeyPair()), jwk: key.jwk, jkt: key.jkt };
    expect(await verifier.verify(credential, intent, { dpop: await dpopProof(impostor, 'GET', FILE_URL, credential), method: 'GET', url: FILE_URL })).toMatchObject({ ok: false, code: 'PROOF_INVALID', reason: expect.stringMatching(/does not verify/) });
    expect(await verifier.verify(credential, intent, { dpop: await dpopProof(key, 'GET', FILE_URL, credential), method: 'GET', url: FILE_URL })).toMatchObject({ ok: true });
    const url = `http://kee.test/v1/sessions/${sid}/authorize`;
    const forged = await h.call('POST', `/v1/sessions/${sid}/authorize`, { ...agentRead('a1'), audience: AUD }, await dpopHeaders(impostor, 'POST', url, sessionToken));
    expect(forged.status).toBe(401);
    expect((await h.call('POST', `/v1/sessions/${sid}/authorize`, { ...agentRead('a1'), audience: AUD }, await dpopHeaders(key, 'POST', url, sessionToken))).json.decision).toBe('PERMIT');
  });

  it('the Hono middleware takes `Authorization: DPoP <credential>` with its proof', async () => {
    const { key, credential, verifier } = await setup();
    const app = new Hono();
    app.get('/files/:id', keeCredential({ verifier, intent: (c) => ({ ...agentRead('a1'), resource: { type: 'Dataset', id: c.req.param('id') } }) }), (c) => c.text('ok'));
    const bare = await app.request(FILE_URL, { headers: { authorization: `DPoP ${credential}` } });
    expect(bare.status).toBe(403);
    expect(((await bare.json()) as { code: string }).code).toBe('PROOF_MISSING');
    expect(bare.headers.get('www-authenticate')).toMatch(/^DPoP/);
    const proven = await app.request(FILE_URL, { headers: { authorization: `DPoP ${credential}`, dpop: await dpopProof(key, 'GET', FILE_URL, credential) } });
    expect(proven.status).toBe(200);
  });
});
