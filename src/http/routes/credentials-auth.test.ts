/**
 * The credential endpoints under KEE_AUTH=agents (docs/credentials.md "Who may call"):
 * introspection needs an operator or auditor token; revocation an operator token or the
 * credential's holder proving its key with DPoP; the revocation feed stays public.
 */
import { describe, expect, it } from 'vitest';
import { agentKeyPair, assertion, dpopHeaders } from '../../../test/support/agent-auth.ts';
import { agentRead, makeHarness } from '../../../test/support/harness.ts';
import { makeOperators } from '../../../test/support/operators.ts';

const BASE = 'http://kee.test';
const REVOKE = `${BASE}/v1/credentials/revoke`;

/** A kernel under KEE_AUTH=agents, agent `a1` registered, and a PERMIT's credential bound to its key. */
async function setup() {
  const ops = await makeOperators();
  const h = makeHarness({ deps: { operatorTokens: ops.verifier, options: { auth: 'agents' } } });
  await h.started;
  const key = await agentKeyPair();
  expect((await h.call('POST', '/v1/agents', { agent_id: 'a1', public_keys: [key.jwk] }, await ops.bearer('operator'))).status).toBe(201);
  const opened = await h.call('POST', '/v1/sessions', { agent_id: 'a1', client_assertion: await assertion(key, 'a1', h.kernel.issuer) });
  const { session_id, session_token } = opened.json as { session_id: string; session_token: string };
  const credential = async () => {
    const path = `/v1/sessions/${session_id}/authorize`;
    const d = await h.call('POST', path, agentRead('a1'), await dpopHeaders(key, 'POST', `${BASE}${path}`, session_token));
    expect(d.json.decision).toBe('PERMIT');
    return d.json.credential as string;
  };
  const active = async (token: string) => (await h.call('POST', '/v1/credentials/introspect', { token }, await ops.bearer('auditor'))).json.active as boolean;
  return { h, ops, key, credential, active };
}

describe('credential endpoints under KEE_AUTH=agents', () => {
  it('introspection: operator or auditor token; none is 401 (Bearer challenge), another role 403', async () => {
    const s = await setup();
    const token = await s.credential();
    const anonymous = await s.h.call('POST', '/v1/credentials/introspect', { token });
    expect(anonymous.status).toBe(401);
    expect(anonymous.json.code).toBe('UNAUTHENTICATED');
    expect(anonymous.headers.get('www-authenticate')).toBe('Bearer realm="kee"');
    const approver = await s.h.call('POST', '/v1/credentials/introspect', { token }, await s.ops.bearer('approver'));
    expect(approver.status).toBe(403);
    expect(approver.headers.get('www-authenticate')).toBe('Bearer realm="kee", error="insufficient_scope"');
    for (const role of ['operator', 'auditor']) {
      const r = await s.h.call('POST', '/v1/credentials/introspect', { token }, await s.ops.bearer(role));
      expect(r.status, role).toBe(200);
      expect(r.json).toMatchObject({ active: true, cnf: { jkt: s.key.jkt } });
    }
  });

  it('revocation by an operator: role operator only; nothing is revoked without it', async () => {
    const s = await setup();
    const token = await s.credential();
    expect((await s.h.call('POST', '/v1/credentials/revoke', { token })).status).toBe(401);
    const auditor = await s.h.call('POST', '/v1/credentials/revoke', { token }, await s.ops.bearer('auditor'));
    expect(auditor.status).toBe(403);
    expect(await s.active(token)).toBe(true);
    const ok = await s.h.call('POST', '/v1/credentials/revoke', { token }, await s.ops.bearer('operator'));
    expect(ok.status).toBe(200);
    expect(ok.json).toEqual({});
    expect(await s.active(token)).toBe(false);
  });

  it('revocation by the holder: `Authorization: DPoP <credential>` and a proof by the cnf.jkt key', async () => {
    const s = await setup();
    const token = await s.credential();
    const stranger = await agentKeyPair();
    const refused = async (headers: Record<string, string>, body: unknown = { token }) => {
      const r = await s.h.call('POST', '/v1/credentials/revoke', body, headers);
      expect(r.status, r.text).toBe(401);
      expect(r.json.code).toBe('UNAUTHENTICATED');
      expect(r.headers.get('www-authenticate')).toBe('DPoP realm="kee", algs="EdDSA", error="invalid_token"');
      return r.json.detail as string;
    };
    expect(await refused(await dpopHeaders(stranger, 'POST', REVOKE, token))).toMatch(/not signed by the key the credential is bound to/);
    expect(await refused({ authorization: `DPoP ${token}` })).toMatch(/`DPoP` proof header is missing/);
    expect(await refused(await dpopHeaders(s.key, 'POST', `${BASE}/v1/credentials/introspect`, token))).toMatch(/`htu` must be/);
    const other = await s.credential();
    expect(await refused(await dpopHeaders(s.key, 'POST', REVOKE, other))).toMatch(/the one in the body/);
    expect(await refused(await dpopHeaders(s.key, 'POST', REVOKE, 'x.y.z'), { token: 'x.y.z' })).toMatch(/does not verify/);
    expect(await s.active(token)).toBe(true);

    const headers = await dpopHeaders(s.key, 'POST', REVOKE, token);
    const ok = await s.h.call('POST', '/v1/credentials/revoke', { token }, headers);
    expect(ok.status, ok.text).toBe(200);
    expect(await s.active(token)).toBe(false);
    expect(await s.active(other)).toBe(true);
    expect(await refused(headers)).toMatch(/already used/); // the same proof again
  });

  it('the revocation feed stays public', async () => {
    const s = await setup();
    const token = await s.credential();
    await s.h.call('POST', '/v1/credentials/revoke', { token }, await s.ops.bearer('operator'));
    const feed = await s.h.call('GET', '/v1/credentials/revocations?since=0');
    expect(feed.status).toBe(200);
    expect(feed.json.revocations).toHaveLength(1);
  });
});

describe('credential endpoints under KEE_AUTH=none', () => {
  it('answer anyone, as before authentication existed', async () => {
    const h = makeHarness();
    const d = (await h.call('POST', '/v1/authorize', agentRead())).json;
    expect((await h.call('POST', '/v1/credentials/introspect', { token: d.credential })).json.active).toBe(true);
    expect((await h.call('POST', '/v1/credentials/revoke', { token: d.credential })).status).toBe(200);
    expect((await h.call('POST', '/v1/credentials/introspect', { token: d.credential })).json).toEqual({ active: false });
  });
});
