import { exportJWK, generateKeyPair, SignJWT, UnsecuredJWT, type JWK } from 'jose';
import { describe, expect, it } from 'vitest';
import { checkJwks, joseOperatorTokenVerifier } from './operator-tokens.ts';

async function keyPair(kid: string) {
  const { privateKey, publicKey } = await generateKeyPair('EdDSA', { extractable: true });
  return { privateKey, jwk: { ...(await exportJWK(publicKey)), kid, alg: 'EdDSA', use: 'sig' } as JWK, kid };
}

const now = () => Math.floor(Date.now() / 1000);

function mint(key: { privateKey: CryptoKey; kid: string }, claims: Record<string, unknown> = {}, header: Record<string, unknown> = {}) {
  return new SignJWT({ roles: ['operator'], ...claims }).setProtectedHeader({ alg: 'EdDSA', kid: key.kid, ...header }).setSubject('alice').setIssuedAt().setExpirationTime('10m').sign(key.privateKey);
}

describe('operator tokens verified with jose against a JWKS', async () => {
  const good = await keyPair('op-1');
  const other = await keyPair('op-1'); // same kid, another key
  const verifier = joseOperatorTokenVerifier({ jwks: { keys: [good.jwk] } });

  it('accepts a token signed by a configured key, with its subject and claims', async () => {
    const v = await verifier.verify(await mint(good));
    expect(v.subject).toBe('alice');
    expect(v.claims.roles).toEqual(['operator']);
  });

  it('refuses expired, wrong-key, unknown-kid, unsigned and HMAC tokens as UNAUTHENTICATED', async () => {
    const expired = await new SignJWT({}).setProtectedHeader({ alg: 'EdDSA', kid: 'op-1' }).setSubject('alice').setIssuedAt(now() - 7200).setExpirationTime(now() - 3600).sign(good.privateKey);
    const hmac = await new SignJWT({}).setProtectedHeader({ alg: 'HS256', kid: 'op-1' }).setSubject('alice').setExpirationTime('10m').sign(new TextEncoder().encode('x'.repeat(32)));
    const cases: [string, string, RegExp][] = [
      ['expired', expired, /has expired/],
      ['wrong key', await mint(other), /signature does not verify/],
      ['unknown kid', await mint(good, {}, { kid: 'op-2' }), /no configured operator key/],
      ['alg none', new UnsecuredJWT({ sub: 'alice', exp: now() + 600 }).encode(), /algorithm is not accepted|not a well-formed/],
      ['HS256', hmac, /algorithm is not accepted/],
      ['no exp', await new SignJWT({}).setProtectedHeader({ alg: 'EdDSA', kid: 'op-1' }).setSubject('alice').sign(good.privateKey), /`exp` claim/],
      ['no sub', await new SignJWT({}).setProtectedHeader({ alg: 'EdDSA', kid: 'op-1' }).setExpirationTime('10m').sign(good.privateKey), /`sub` claim/],
      ['garbage', 'not.a.jwt', /not a well-formed/],
    ];
    for (const [name, token, message] of cases) {
      const e = await verifier.verify(token).then(() => null, (err: unknown) => err);
      expect(e, name).toMatchObject({ code: 'UNAUTHENTICATED' });
      expect((e as Error).message, name).toMatch(message);
    }
  });

  it('checks iss and aud when configured', async () => {
    const strict = joseOperatorTokenVerifier({ jwks: { keys: [good.jwk] }, issuer: 'https://idp.example', audience: 'kee' });
    await expect(strict.verify(await mint(good, { iss: 'https://idp.example', aud: 'kee' }))).resolves.toMatchObject({ subject: 'alice' });
    for (const claims of [{ iss: 'https://evil.example', aud: 'kee' }, { aud: 'kee' }, { iss: 'https://idp.example', aud: 'other' }, { iss: 'https://idp.example' }]) {
      await expect(strict.verify(await mint(good, claims)), JSON.stringify(claims)).rejects.toMatchObject({ code: 'UNAUTHENTICATED', message: expect.stringMatching(/`(iss|aud)` claim is refused/) });
    }
  });

  it('a configured key set must hold public asymmetric keys only', async () => {
    const { privateKey } = await generateKeyPair('EdDSA', { extractable: true });
    const privateJwk = await exportJWK(privateKey);
    expect(() => checkJwks({ keys: [{ kty: 'oct', k: 'c2VjcmV0' }] })).toThrow(/symmetric/);
    expect(() => checkJwks({ keys: [privateJwk] })).toThrow(/private key/);
    expect(() => checkJwks({ keys: [] })).toThrow(/non-empty `keys`/);
    expect(() => checkJwks([good.jwk])).toThrow(/non-empty `keys`/);
  });
});
