import { exportJWK, generateKeyPair, SignJWT, type JWK } from 'jose';
import { Hono } from 'hono';
import { describe, expect, it } from 'vitest';
import { joseOperatorTokenVerifier } from '../adapters/jose/operator-tokens.ts';
import { rolesOf } from '../kernel/auth/operator-roles.ts';
import { makeHarness } from '../../test/support/harness.ts';
import { toProblem } from './errors.ts';
import { requireRole, type OperatorEnv } from './operator-auth.ts';

async function setup(withVerifier = true) {
  const { privateKey, publicKey } = await generateKeyPair('EdDSA', { extractable: true });
  const jwk = { ...(await exportJWK(publicKey)), kid: 'op' } as JWK;
  const h = makeHarness(withVerifier ? { deps: { operatorTokens: joseOperatorTokenVerifier({ jwks: { keys: [jwk] } }) } } : {});
  const app = new Hono<OperatorEnv>();
  app.get('/write', requireRole(h.kernel, 'operator'), (c) => c.json({ subject: c.var.operator.subject, roles: c.var.operator.roles }));
  app.get('/read', requireRole(h.kernel, 'operator', 'auditor'), (c) => c.json({ ok: true }));
  app.onError((err, c) => toProblem(c, err));
  const token = (roles: unknown, exp: string | number = '5m') =>
    new SignJWT(roles === undefined ? {} : { roles }).setProtectedHeader({ alg: 'EdDSA', kid: 'op' }).setSubject('alice').setExpirationTime(exp).sign(privateKey);
  const get = (path: string, authorization?: string) => app.request(`http://kee.test${path}`, authorization ? { headers: { authorization } } : {});
  return { get, token };
}

describe('requireRole: operator bearer tokens on a route', () => {
  it('lets a token with a fitting role through and names the operator', async () => {
    const { get, token } = await setup();
    const r = await get('/write', `Bearer ${await token(['operator'])}`);
    expect(r.status).toBe(200);
    expect(await r.json()).toEqual({ subject: 'alice', roles: ['operator'] });
    expect((await get('/read', `bearer ${await token('auditor approver')}`)).status).toBe(200);
  });

  it('401 UNAUTHENTICATED with WWW-Authenticate: Bearer for no token, a malformed header, an expired or forged token', async () => {
    const { get, token } = await setup();
    const expired = await token(['operator'], Math.floor(Date.now() / 1000) - 3600);
    const valid = await token(['operator']);
    const forged = `${valid.slice(0, -4)}AAAA`;
    for (const [auth, challenge] of [
      [undefined, 'Bearer realm="kee"'],
      ['Basic YTpi', 'Bearer realm="kee", error="invalid_token"'],
      [`Bearer ${expired}`, 'Bearer realm="kee", error="invalid_token"'],
      [`Bearer ${forged}`, 'Bearer realm="kee", error="invalid_token"'],
    ] as const) {
      const r = await get('/write', auth);
      expect(r.status, auth).toBe(401);
      expect(r.headers.get('content-type')).toBe('application/problem+json');
      expect(r.headers.get('www-authenticate')).toBe(challenge);
      expect(((await r.json()) as { code: string }).code).toBe('UNAUTHENTICATED');
    }
  });

  it('403 FORBIDDEN with error="insufficient_scope" for a verified token without a fitting role', async () => {
    const { get, token } = await setup();
    for (const roles of [['auditor'], ['approver', 'admin'], undefined, 'operators', { operator: true }]) {
      const r = await get('/write', `Bearer ${await token(roles)}`);
      expect(r.status, JSON.stringify(roles)).toBe(403);
      expect(r.headers.get('www-authenticate')).toBe('Bearer realm="kee", error="insufficient_scope"');
      const body = (await r.json()) as { code: string; detail: string };
      expect(body.code).toBe('FORBIDDEN');
      expect(body.detail).toContain('`operator`');
    }
    expect((await get('/read', `Bearer ${await token(['auditor'])}`)).status).toBe(200);
  });

  it('without a configured key set: 503 UNAVAILABLE, never open', async () => {
    const { get, token } = await setup(false);
    const r = await get('/write', `Bearer ${await token(['operator'])}`);
    expect(r.status).toBe(503);
    expect(((await r.json()) as { code: string }).code).toBe('UNAVAILABLE');
  });

  it('roles come from a `roles` array or space-separated string; unknown names are dropped', () => {
    expect(rolesOf(['operator', 'admin', 'auditor', 'operator'])).toEqual(['operator', 'auditor']);
    expect(rolesOf('approver  auditor')).toEqual(['approver', 'auditor']);
    expect(rolesOf(undefined)).toEqual([]);
    expect(rolesOf([1, null, 'operator'])).toEqual(['operator']);
  });
});
