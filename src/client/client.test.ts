import { decodeJwt, exportJWK, generateKeyPair } from 'jose';
import { describe, expect, it } from 'vitest';
import { agentRead, makeHarness } from '../../test/support/harness.ts';
import { makeOperators } from '../../test/support/operators.ts';
import { KeeAgent } from './index.ts';

describe('kee/client', () => {
  it('opens an authenticated session, authorizes (single, batch) and closes with DPoP; refusals throw KeeError with the code', async () => {
    const ops = await makeOperators();
    const h = makeHarness({ deps: { operatorTokens: ops.verifier, options: { auth: 'agents' } } });
    await h.started;
    const { privateKey } = await generateKeyPair('EdDSA', { extractable: true });
    const jwk = (await exportJWK(privateKey)) as { kty: 'OKP'; crv: 'Ed25519'; x: string; d: string };
    await h.call('POST', '/v1/agents', { agent_id: 'a1', public_keys: [{ kty: 'OKP', crv: 'Ed25519', x: jwk.x }] }, await ops.bearer('operator'));
    const fetcher = ((input: RequestInfo | URL, init?: RequestInit) => h.app.request(String(input), init)) as typeof fetch;
    const agent = await KeeAgent.fromPrivateJwk({ kernelUrl: 'http://kee.test/', agentId: 'a1', privateJwk: jwk, fetch: fetcher });
    const session = await agent.openSession();
    const d = await session.authorize(agentRead('a1'));
    expect(d.decision).toBe('PERMIT');
    expect(decodeJwt(d.credential as string).cnf).toEqual({ jkt: agent.jkt });
    expect((await session.authorizeBatch([agentRead('a1'), agentRead('b')])).map((r) => r.decision)).toEqual(['PERMIT', 'DENY']);
    // the holder revokes its own credential; introspection (auditor) then finds it inactive
    const introspect = async () => (await h.call('POST', '/v1/credentials/introspect', { token: d.credential }, await ops.bearer('auditor'))).json.active;
    expect(await introspect()).toBe(true);
    await agent.revokeCredential(d.credential as string);
    expect(await introspect()).toBe(false);
    const other = (await session.authorize(agentRead('a1'))).credential as string;
    const thief = await KeeAgent.fromPrivateJwk({ kernelUrl: 'http://kee.test', agentId: 'a1', privateJwk: (await exportJWK((await generateKeyPair('EdDSA', { extractable: true })).privateKey)) as typeof jwk, fetch: fetcher });
    await expect(thief.revokeCredential(other)).rejects.toMatchObject({ status: 401, code: 'UNAUTHENTICATED' });
    expect((await session.close()).block_id).toBe(session.blockId);
    const stranger = await KeeAgent.fromPrivateJwk({ kernelUrl: 'http://kee.test', agentId: 'ghost', privateJwk: jwk, fetch: fetcher });
    await expect(stranger.openSession()).rejects.toMatchObject({ name: 'KeeError', status: 401, code: 'UNAUTHENTICATED' });
  });
});
