/**
 * The kernel token key and DPoP proofs over node:crypto (`nodeEd25519` wired into the jose
 * adapters): the same credentials byte for byte, and the same answer as jose for every proof.
 */
import { base64url, exportJWK, generateKeyPair, SignJWT } from 'jose';
import { describe, expect, it } from 'vitest';
import { agentProofs, joseAgentProofs } from '../adapters/jose/agent-proofs.ts';
import { JoseTokenSigner } from '../adapters/jose/token-signer.ts';
import type { Ed25519Native } from '../ports/token-signer.ts';
import { nodeEd25519 } from './node-ed25519.ts';

/** nodeEd25519, counting its verifications (to tell the native path from jose's). */
function counting(): { native: Ed25519Native; verified: () => number } {
  let n = 0;
  return {
    native: { signer: (seed) => nodeEd25519.signer(seed), verifier: (pub) => { const v = nodeEd25519.verifier(pub); return (s, m) => (n++, v(s, m)); } },
    verified: () => n,
  };
}

describe('JoseTokenSigner with node:crypto', () => {
  it('signs the same compact JWS as jose, byte for byte, and it verifies', async () => {
    const seed = JoseTokenSigner.generateSeed();
    const jose = new JoseTokenSigner(seed);
    const native = new JoseTokenSigner(seed, nodeEd25519);
    for (const [typ, claims] of [
      ['kee-credential+jwt', { iss: 'https://kee.example', sub: 'xpid:1', jti: native.newId(), iat: 1, exp: 2, intent: { h: 'é😀', n: [1, 2.5, null] } }],
      ['kee-session+jwt', { sid: 's', cnf: { jkt: 'abc' } }],
      ['kee-credential+jwt', {}],
    ] as const) {
      const token = await native.sign(typ, claims);
      expect(token).toBe(await jose.sign(typ, claims));
      expect(await jose.verify(token, typ)).toEqual(claims);
      expect(await jose.verify(token, 'other+jwt')).toBeNull();
    }
  });
});

describe('DPoP proofs with node:crypto', async () => {
  const { privateKey, publicKey } = await generateKeyPair('EdDSA', { extractable: true });
  const other = await generateKeyPair('EdDSA', { extractable: true });
  const jwk = await exportJWK(publicKey);
  const pub = { kty: 'OKP', crv: 'Ed25519', x: jwk.x as string };
  const now = Math.floor(Date.now() / 1000);
  const claims = { htm: 'POST', htu: 'http://k/v1/sessions/s/authorize', ath: 'x', jti: 'j1' };
  const proof = (header: Record<string, unknown>, payload: Record<string, unknown> = { ...claims, iat: now }, key = privateKey) => new SignJWT(payload).setProtectedHeader(header as { alg: string }).sign(key);
  const usual = { alg: 'EdDSA', typ: 'dpop+jwt', jwk: pub };

  it('checks the usual proof natively, with the same claims and thumbprint as jose, and refuses a forged one', async () => {
    const c = counting();
    const proofs = agentProofs(c.native);
    const p = await proof(usual);
    const mine = await proofs.verifyDpop(p);
    expect(c.verified()).toBe(1);
    expect(mine).not.toBeNull();
    expect(mine).toEqual(await joseAgentProofs.verifyDpop(p));
    // signed by another key than the header's jwk; an altered payload; an altered signature
    const forged = await proof(usual, undefined, other.privateKey);
    const [h, , s] = p.split('.');
    const altered = `${h}.${base64url.encode(JSON.stringify({ ...claims, iat: now, jti: 'j2' }))}.${s}`;
    const sig = base64url.decode(s as string);
    sig[3] = (sig[3] as number) ^ 1;
    const badSig = `${p.slice(0, p.lastIndexOf('.'))}.${base64url.encode(sig)}`;
    for (const bad of [forged, altered, badSig]) {
      expect(await proofs.verifyDpop(bad)).toBeNull();
      expect(await joseAgentProofs.verifyDpop(bad)).toBeNull();
    }
    expect(c.verified()).toBe(4);
  });

  it('gives jose’s own answer for every unusual proof (jose checks them)', async () => {
    const c = counting();
    const proofs = agentProofs(c.native);
    const cases = [
      await proof({ ...usual, typ: 'application/dpop+jwt' }),
      await proof({ ...usual, alg: 'Ed25519' }),
      await proof({ ...usual, kid: 'k' }),
      await proof({ ...usual, crit: ['b64'], b64: true }),
      await proof({ ...usual, typ: 'jwt' }),
      await proof({ ...usual, jwk: { ...pub, d: 'AAAA' } }),
      await proof(usual, { ...claims, iat: String(now) }),
      await proof(usual, { ...claims }),
      await proof(usual, { ...claims, iat: now, exp: now - 10 }),
      await proof(usual, { ...claims, iat: now, nbf: now + 10 }),
      'a.b',
      'not a jws at all',
      `${(await proof(usual)).slice(0, -2)}`,
      `${await proof(usual)}=`,
    ];
    for (const p of cases) expect(await proofs.verifyDpop(p), p).toEqual(await joseAgentProofs.verifyDpop(p));
    expect(c.verified()).toBe(0);
    // and some of them do verify under jose: the fallback is not a refusal
    expect(await proofs.verifyDpop(cases[0] as string)).not.toBeNull();
  });
});
