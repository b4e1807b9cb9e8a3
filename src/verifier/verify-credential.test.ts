import { Hono } from 'hono';
import { describe, expect, it } from 'vitest';
import { JoseTokenSigner } from '../adapters/jose/token-signer.ts';
import type { KernelDeps } from '../kernel/deps.ts';
import { agentRead, makeHarness } from '../../test/support/harness.ts';
import { agentKey, makeOperators } from '../../test/support/operators.ts';
import { createCredentialVerifier, keeCredential, type CredentialVerifierOptions, type KeeCredentialVariables } from './index.ts';

const AUD = 'https://files.example';
const claimsOf = (jws: string) => JSON.parse(new TextDecoder().decode(Uint8Array.from(atob(jws.split('.')[1]!.replace(/-/g, '+').replace(/_/g, '/')), (c) => c.charCodeAt(0))));

/** A kernel and a verifier sharing one hand-moved clock; the verifier reaches the kernel through `fetch`. */
async function setup(options: Partial<CredentialVerifierOptions> = {}, deps: Partial<KernelDeps> = {}) {
  let now = Date.parse('2026-12-05T10:00:00.000Z');
  const clock = { nowIso: () => new Date(now).toISOString() };
  const h = makeHarness({ deps: { clock, ...deps } });
  await h.started;
  const fetches: string[] = [];
  const net = { feedDown: false, jwks: null as unknown, feed: null as unknown };
  const fetcher = (async (input: RequestInfo | URL, init?: RequestInit) => {
    const url = String(input);
    fetches.push(new URL(url).pathname);
    if (url.includes('/revocations')) {
      if (net.feedDown) throw new TypeError('fetch failed');
      if (net.feed) return Response.json(net.feed);
    }
    if (url.endsWith('/jwks.json') && net.jwks) {
      const served = net.jwks;
      net.jwks = null;
      return Response.json(served);
    }
    return h.app.request(url, init);
  }) as typeof fetch;
  const verifier = createCredentialVerifier({ kernelUrl: 'http://kee.test', issuer: h.kernel.issuer, audience: AUD, fetch: fetcher, now: () => now, pollSeconds: 0, jwksCooldownSeconds: 0, ...options });
  const permit = async (request = agentRead(), audience: string | null = AUD) => {
    const d = (await h.call('POST', '/v1/authorize', { ...request, ...(audience === null ? {} : { audience }) })).json;
    expect(d.decision).toBe('PERMIT');
    return d.credential as string;
  };
  return { h, verifier, permit, net, fetches, advance: (ms: number) => void (now += ms) };
}

describe('kee/verifier', () => {
  it('accepts a credential for the request received and returns its claims', async () => {
    const { verifier, permit } = await setup();
    const token = await permit();
    const v = await verifier.verify(token, agentRead());
    expect(v).toEqual({ ok: true, claims: claimsOf(token) });
  });

  it('refuses another request (intent mismatch), another audience, and a credential without one', async () => {
    const { verifier, permit } = await setup();
    const token = await permit();
    expect(await verifier.verify(token, { ...agentRead(), resource: { type: 'Dataset', id: 'other' } })).toMatchObject({ ok: false, code: 'INTENT_MISMATCH' });
    expect(await verifier.verify(token, { ...agentRead(), context: { extra: true } })).toMatchObject({ ok: false, code: 'INTENT_MISMATCH' });
    const other = createCredentialVerifier({ kernelUrl: 'http://kee.test', issuer: 'x', audience: AUD, fetch: (() => Promise.reject(new Error('no'))) as typeof fetch });
    expect(await other.verify('a.b', agentRead())).toMatchObject({ ok: false, code: 'CREDENTIAL_MALFORMED' });
    const s2 = await setup({ audience: 'https://elsewhere.example' });
    expect(await s2.verifier.verify(await s2.permit(), agentRead())).toMatchObject({ ok: false, code: 'AUDIENCE_MISMATCH' });
    expect(await verifier.verify(await permit(agentRead(), null), agentRead())).toMatchObject({ ok: false, code: 'AUDIENCE_MISMATCH' });
  });

  it('honours exactly 60 s plus the bounded skew of its own clock', async () => {
    const { verifier, permit, advance } = await setup({ maxSkewSeconds: 2 });
    const token = await permit();
    advance(61_999);
    expect((await verifier.verify(token, agentRead())).ok).toBe(true);
    advance(1);
    expect(await verifier.verify(token, agentRead())).toMatchObject({ ok: false, code: 'EXPIRED' });
  });

  it('refuses a credential not valid yet on its clock, and a lifetime other than 60 s even when signed by the kernel key', async () => {
    const { h, verifier, permit, advance } = await setup({ maxSkewSeconds: 1 });
    const token = await permit();
    advance(-2_000);
    expect(await verifier.verify(token, agentRead())).toMatchObject({ ok: false, code: 'NOT_YET_VALID' });
    advance(2_000);
    const c = claimsOf(token);
    const long = await h.tokens.sign('kee-credential+jwt', { ...c, exp: c.iat + 120 });
    expect(await verifier.verify(long, agentRead())).toMatchObject({ ok: false, code: 'TTL_INVALID' });
    const tampered = token.split('.');
    tampered[1] = btoa(JSON.stringify({ ...c, resource: 'x' })).replace(/=+$/, '').replace(/\+/g, '-').replace(/\//g, '_');
    expect(await verifier.verify(tampered.join('.'), agentRead())).toMatchObject({ ok: false, code: 'SIGNATURE_INVALID' });
  });

  it('refuses a key the kernel does not publish, and fetches the JWKS again for a rotated kid', async () => {
    const { verifier, permit, net, fetches } = await setup();
    const token = await permit();
    const stranger = new JoseTokenSigner(JoseTokenSigner.generateSeed());
    const forged = await stranger.sign('kee-credential+jwt', claimsOf(token));
    expect(await verifier.verify(forged, agentRead())).toMatchObject({ ok: false, code: 'UNKNOWN_KID' });
    // the verifier holds an old set (only the stranger's key): the kernel's kid makes it fetch again
    const s2 = await setup();
    s2.net.jwks = { keys: [stranger.jwk] };
    expect((await s2.verifier.verify(await s2.permit(), agentRead())).ok).toBe(true);
    expect(s2.fetches.filter((p) => p.endsWith('jwks.json'))).toHaveLength(2);
    expect(fetches.filter((p) => p.endsWith('jwks.json')).length).toBeGreaterThanOrEqual(1);
    void net;
  });

  it('refuses a revoked credential once the feed lists it', async () => {
    const { h, verifier, permit } = await setup();
    const token = await permit();
    const kept = await permit(agentRead('b'));
    expect((await verifier.verify(token, agentRead())).ok).toBe(true);
    expect((await h.call('POST', '/v1/credentials/revoke', { token })).status).toBe(200);
    expect(await verifier.verify(token, agentRead())).toMatchObject({ ok: false, code: 'REVOKED' });
    expect((await verifier.verify(kept, agentRead('b'))).ok).toBe(true);
  });

  it('refuses every credential of a revoked agent: the feed names its XPID, whatever the jti; other agents unaffected; kept across a restart', async () => {
    const ops = await makeOperators();
    const { h, verifier } = await setup({}, { operatorTokens: ops.verifier });
    const op = await ops.bearer('operator');
    const credentialOf = async (agent: string) => {
      const { json: s } = await h.call('POST', '/v1/sessions', { agent_id: agent });
      const d = (await h.call('POST', `/v1/sessions/${s.session_id}/authorize`, { ...agentRead(agent), audience: AUD })).json;
      expect(d.decision).toBe('PERMIT');
      return d.credential as string;
    };
    const { json: reg } = await h.call('POST', '/v1/agents', { agent_id: 'gone', public_keys: [await agentKey()] }, op);
    const token = await credentialOf('gone');
    const kept = await credentialOf('other');
    expect(claimsOf(token).sub).toBe(reg.xpid);
    expect((await verifier.verify(token, agentRead('gone'))).ok).toBe(true);

    expect((await h.call('POST', '/v1/agents/gone/revoke', undefined, op)).status).toBe(200);
    expect((await h.call('POST', '/v1/agents/gone/revoke', undefined, op)).status).toBe(200); // again: no second entry
    const feed = (await h.call('GET', '/v1/credentials/revocations')).json;
    expect(feed.revocations).toHaveLength(1);
    expect(feed.revocations[0]).toMatchObject({ seq: 1, kind: 'XPID', id: reg.xpid, revoked_at: expect.any(String), revocation_type: 'DIRECT', source: 'LOCAL' });
    const refused = await verifier.verify(token, agentRead('gone'));
    expect(refused).toMatchObject({ ok: false, code: 'REVOKED' });
    expect((refused as { reason: string }).reason).toContain(reg.xpid);
    expect((await verifier.verify(kept, agentRead('other'))).ok).toBe(true);
    expect((await h.call('POST', '/v1/credentials/introspect', { token })).json).toEqual({ active: false });
    expect((await h.call('POST', '/v1/credentials/introspect', { token: kept })).json.active).toBe(true);

    // a kernel started on the same store rebuilds the entry from the revocation log
    const again = makeHarness({ store: h.store, deps: { operatorTokens: ops.verifier } });
    await again.started;
    expect((await again.call('GET', '/v1/credentials/revocations')).json.revocations).toEqual(feed.revocations);
  });

  it("refuses a credential whose agent XPID (its `sub`) the registry revokes; other agents' credentials stay valid", async () => {
    const { h, verifier, permit } = await setup();
    const token = await permit();
    const kept = await permit(agentRead('b'));
    expect((await verifier.verify(token, agentRead())).ok).toBe(true);
    await h.kernel.revoke({ kind: 'XPID', id: claimsOf(token).sub }, 'op-test');
    // other kinds in the feed name no credential
    await h.kernel.revoke({ kind: 'KIA_KEY', id: claimsOf(kept).jti }, 'op-test');
    expect(await verifier.verify(token, agentRead())).toMatchObject({ ok: false, code: 'REVOKED' });
    expect((await verifier.verify(kept, agentRead('b'))).ok).toBe(true);
  });

  it('refuses every credential while the revocation feed is stale: unreachable, or an old answer', async () => {
    const { verifier, permit, net, advance } = await setup({ maxFeedAgeSeconds: 30 });
    const token = await permit();
    expect((await verifier.verify(token, agentRead())).ok).toBe(true);
    net.feedDown = true;
    advance(20_000);
    expect((await verifier.verify(token, agentRead())).ok).toBe(true);
    advance(11_000);
    expect(await verifier.verify(token, agentRead())).toMatchObject({ ok: false, code: 'REVOCATION_FEED_STALE' });
    // a cache that serves an old page of the feed is as stale as none
    const s2 = await setup({ maxFeedAgeSeconds: 30 });
    s2.net.feed = { sequence: 0, generated_at: '2026-12-05T09:59:00.000Z', revocations: [] };
    expect(await s2.verifier.verify(await s2.permit(), agentRead())).toMatchObject({ ok: false, code: 'REVOCATION_FEED_STALE' });
  });

  it('the Hono middleware: 401 without a credential, 403 with a refused one, the claims with a valid one', async () => {
    const { verifier, permit } = await setup();
    const app = new Hono<{ Variables: KeeCredentialVariables }>();
    app.get(
      '/datasets/:id',
      keeCredential({ verifier, intent: (c) => ({ principal: { type: 'Agent', id: 'agent-1' }, action: { type: 'Action', id: 'read' }, resource: { type: 'Dataset', id: c.req.param('id') ?? '' }, context: {} }) }),
      (c) => c.json({ jti: c.get('keeCredential').jti }),
    );
    const token = await permit();
    const none = await app.request('/datasets/quake-sensors');
    expect(none.status).toBe(401);
    expect(none.headers.get('www-authenticate')).toContain('Bearer');
    const wrong = await app.request('/datasets/other', { headers: { authorization: `Bearer ${token}` } });
    expect(wrong.status).toBe(403);
    expect((await wrong.json()).code).toBe('INTENT_MISMATCH');
    const ok = await app.request('/datasets/quake-sensors', { headers: { authorization: `Bearer ${token}` } });
    expect(ok.status).toBe(200);
    expect(await ok.json()).toEqual({ jti: claimsOf(token).jti });
  });
});
