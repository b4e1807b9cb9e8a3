/**
 * The SETs of the SSF transmitter verified by a third-party JOSE library in another language:
 * Python jwcrypto (pinned, installed into .cache/ by scripts/jwcrypto.sh) reads the kernel's
 * JWKS and checks each SET's EdDSA signature, `typ`, `iss` and shape
 * (test/thirdparty/python/verify_set.py).
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { installJwcrypto, run } from './support/jwcrypto.ts';
import { makeHarness } from './support/harness.ts';
import { makeOperators } from './support/operators.ts';

let python: string;

beforeAll(async () => {
  python = await installJwcrypto();
}, 310_000);

async function jwcryptoVerify(jwks: unknown, sets: string[], issuer: string) {
  const dir = mkdtempSync(join(tmpdir(), 'kee-jwcrypto-set-'));
  writeFileSync(join(dir, 'jwks.json'), JSON.stringify(jwks));
  writeFileSync(join(dir, 'sets.json'), JSON.stringify(sets));
  return run(python, ['test/thirdparty/python/verify_set.py', join(dir, 'jwks.json'), join(dir, 'sets.json'), issuer]);
}

describe('SETs verified by Python jwcrypto', () => {
  it('session-revoked, mandate_revoked, credential-change and verification events verify against the JWKS, with the claims the kernel signed', async () => {
    const ops = await makeOperators();
    const h = makeHarness({ deps: { operatorTokens: ops.verifier, options: { revocation: { tickMs: 0 } } } });
    await h.started;
    const op = await ops.bearer('operator');
    const stream = (await h.call('POST', '/ssf/streams', { delivery: { method: 'urn:ietf:rfc:8936' } }, op)).json;
    expect(stream.delivery.endpoint_url).toBe(`http://kee.test/ssf/poll/${stream.stream_id}`);
    await h.call('POST', '/v1/revocations', { kind: 'XPID', id: 'b9c0ad52-5a43-5b6d-9f5c-2b7a0e1f4d11', subject: { agent_id: 'agent-1' } }, op);
    await h.call('POST', '/v1/revocations', { kind: 'MANDATE_JTI', id: 'mandate-1', subject: { xpid: 'b9c0ad52-5a43-5b6d-9f5c-2b7a0e1f4d11' } }, op);
    await h.call('POST', '/v1/revocations', { kind: 'KIA_KEY', id: 'kia-key-1' }, op);
    expect((await h.call('POST', '/ssf/verify', { stream_id: stream.stream_id, state: 's-1' }, op)).status).toBe(204);
    const polled = await h.call('POST', `/ssf/poll/${stream.stream_id}`, { returnImmediately: true }, op);
    expect(polled.status).toBe(200);
    const sets = Object.values(polled.json.sets) as string[];
    expect(sets).toHaveLength(4);

    const jwks = (await h.call('GET', '/.well-known/jwks.json')).json;
    const r = await jwcryptoVerify(jwks, sets, h.kernel.issuer);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const out = JSON.parse(r.stdout) as { claims: Record<string, any>; header: Record<string, unknown> }[];
    for (const o of out) expect(o.header).toEqual({ alg: 'EdDSA', typ: 'secevent+jwt', kid: h.tokens.kid });
    const byType = Object.fromEntries(out.map((o) => [Object.keys(o.claims.events)[0], o.claims]));
    expect(byType['https://schemas.openid.net/secevent/caep/event-type/session-revoked']).toMatchObject({
      iss: h.kernel.issuer,
      aud: 'op-operator',
      sub_id: { format: 'opaque', id: 'b9c0ad52-5a43-5b6d-9f5c-2b7a0e1f4d11' },
      events: { 'https://schemas.openid.net/secevent/caep/event-type/session-revoked': { initiating_entity: 'admin', kee_agent_id: 'agent-1', event_timestamp: expect.any(Number) } },
    });
    expect(byType['urn:soos:kia:event-type:mandate_revoked'].events['urn:soos:kia:event-type:mandate_revoked']).toMatchObject({
      event_type: 'mandate_revoked',
      subject: { format: 'xpid', xpid: 'b9c0ad52-5a43-5b6d-9f5c-2b7a0e1f4d11' },
      jti_revoked: 'mandate-1',
      revocation_scope: 'THIS_MANDATE_ONLY',
      originating_kernel: h.kernel.issuer,
    });
    expect(byType['https://schemas.openid.net/secevent/caep/event-type/credential-change'].events['https://schemas.openid.net/secevent/caep/event-type/credential-change']).toMatchObject({ change_type: 'revoke', credential_type: 'x509', kee_kind: 'KIA_KEY' });
    expect(byType['https://schemas.openid.net/secevent/ssf/event-type/verification'].events['https://schemas.openid.net/secevent/ssf/event-type/verification']).toEqual({ state: 's-1' });
    // each revocation SET names its event (txn), as stored in the registry
    const feed = (await h.call('GET', '/v1/revocations')).json.revocations;
    expect(byType['urn:soos:kia:event-type:mandate_revoked'].txn).toBe(feed[1].event_id);

    // a changed payload does not verify
    const [head, payload, sig] = sets[0]!.split('.');
    const forged = JSON.parse(Buffer.from(payload!, 'base64url').toString());
    forged.sub_id.id = 'someone-else';
    const bad = await jwcryptoVerify(jwks, [`${head}.${Buffer.from(JSON.stringify(forged)).toString('base64url')}.${sig}`], h.kernel.issuer);
    expect(bad.code).not.toBe(0);
  });
});
