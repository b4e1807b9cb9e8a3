import { describe, expect, it } from 'vitest';
import { base64url, CompactSign, importJWK } from 'jose';
import { JoseTokenSigner } from './token-signer.ts';

describe('JoseTokenSigner.verify', () => {
  it('a token verified once (kept) still verifies; its altered signature, another typ or another key does not', async () => {
    const signer = new JoseTokenSigner(JoseTokenSigner.generateSeed());
    const token = await signer.sign('kee-session+jwt', { sid: 's1', exp: 2 });
    expect(await signer.verify(token, 'kee-session+jwt')).toEqual({ sid: 's1', exp: 2 });
    const again = await signer.verify(token, 'kee-session+jwt');
    expect(again).toEqual({ sid: 's1', exp: 2 });
    (again as Record<string, unknown>).sid = 'changed';
    expect(await signer.verify(token, 'kee-session+jwt')).toEqual({ sid: 's1', exp: 2 });
    const [h, p, sig] = token.split('.') as [string, string, string];
    const flipped = `${h}.${p}.${sig.slice(0, 10)}${sig[10] === 'A' ? 'B' : 'A'}${sig.slice(11)}`;
    expect(await signer.verify(flipped, 'kee-session+jwt')).toBeNull();
    expect(await signer.verify(token, 'kee-credential+jwt')).toBeNull();
    expect(await new JoseTokenSigner(JoseTokenSigner.generateSeed()).verify(token, 'kee-session+jwt')).toBeNull();
  });
});

describe('JoseTokenSigner.sign', () => {
  it('writes what jose’s CompactSign writes, byte for byte, for each typ', async () => {
    const seed = JoseTokenSigner.generateSeed();
    const signer = new JoseTokenSigner(seed);
    const key = await importJWK({ kty: 'OKP', crv: 'Ed25519', x: signer.jwk.x, d: base64url.encode(seed) }, 'EdDSA');
    for (const [typ, claims] of [
      ['kee-credential+jwt', { iss: 'https://kee.example', sub: 'xpid:1', jti: signer.newId(), iat: 1, exp: 2, intent: { h: 'é😀\u2028', n: [1, 2.5, null] } }],
      ['kee-session+jwt', { sid: 's', cnf: { jkt: 'abc' } }],
      ['kee-credential+jwt', {}],
      ['a"b\\c+jwt', { x: '</script>' }],
    ] as const) {
      const token = await signer.sign(typ, claims);
      expect(token).toBe(await new CompactSign(new TextEncoder().encode(JSON.stringify(claims))).setProtectedHeader({ alg: 'EdDSA', typ, kid: signer.kid }).sign(key));
      expect(await signer.verify(token, typ)).toEqual(claims);
    }
  });
});
