/**
 * DPoP proofs: the usual proof checked without `jwtVerify` gives `jwtVerify`'s answer, and every
 * unusual proof is left to `jose` (compared with the adapter as it was: `jwtVerify` on every proof).
 */
import { base64url, calculateJwkThumbprint, decodeProtectedHeader, exportJWK, generateKeyPair, importJWK, jwtVerify, SignJWT } from 'jose';
import { describe, expect, it } from 'vitest';
import { joseAgentProofs, usualDpop } from './agent-proofs.ts';

/** The adapter's DPoP check before the usual-proof path: jose's `jwtVerify` on every proof. */
async function reference(proof: string) {
  try {
    const jwk = decodeProtectedHeader(proof).jwk;
    if (!jwk || jwk.kty !== 'OKP' || jwk.crv !== 'Ed25519' || 'd' in jwk || typeof jwk.x !== 'string') return null;
    const key = await importJWK({ kty: 'OKP', crv: 'Ed25519', x: jwk.x }, 'EdDSA');
    const { payload } = await jwtVerify(proof, key, { algorithms: ['EdDSA', 'Ed25519'], typ: 'dpop+jwt', clockTolerance: Number.MAX_SAFE_INTEGER });
    return { claims: payload as Record<string, unknown>, jkt: await calculateJwkThumbprint({ kty: 'OKP', crv: 'Ed25519', x: jwk.x }, 'sha256') };
  } catch {
    return null;
  }
}

describe('DPoP proofs', async () => {
  const { privateKey, publicKey } = await generateKeyPair('EdDSA', { extractable: true });
  const other = await generateKeyPair('EdDSA', { extractable: true });
  const jwk = await exportJWK(publicKey);
  const pub = { kty: 'OKP', crv: 'Ed25519', x: jwk.x as string };
  const now = Math.floor(Date.now() / 1000);
  const claims = { htm: 'POST', htu: 'http://k/v1/sessions/s/authorize', ath: 'x', jti: 'j1' };
  const proof = (header: Record<string, unknown>, payload: Record<string, unknown> = { ...claims, iat: now }, key = privateKey) => new SignJWT(payload).setProtectedHeader(header as { alg: string }).sign(key);
  const usual = { alg: 'EdDSA', typ: 'dpop+jwt', jwk: pub };

  it('checks the usual proof on its own path, with jose’s claims and thumbprint, and refuses a forged one', async () => {
    const p = await proof(usual);
    const expected = await reference(p);
    expect(expected).not.toBeNull();
    expect(await usualDpop(p)).toEqual(expected);
    expect(await joseAgentProofs.verifyDpop(p)).toEqual(expected);
    // signed by another key than the header's jwk; an altered payload; an altered signature
    const forged = await proof(usual, undefined, other.privateKey);
    const [h, , s] = p.split('.');
    const altered = `${h}.${base64url.encode(JSON.stringify({ ...claims, iat: now, jti: 'j2' }))}.${s}`;
    const sig = base64url.decode(s as string);
    sig[3] = (sig[3] as number) ^ 1;
    const badSig = `${p.slice(0, p.lastIndexOf('.'))}.${base64url.encode(sig)}`;
    for (const bad of [forged, altered, badSig]) {
      expect(await usualDpop(bad)).toBeNull();
      expect(await joseAgentProofs.verifyDpop(bad)).toBeNull();
      expect(await reference(bad)).toBeNull();
    }
  });

  it('decodes a key’s usual header once: later proofs under it are still checked in full', async () => {
    const first = await proof(usual);
    expect(await usualDpop(first)).toEqual(await reference(first)); // the header is now known
    const [h] = first.split('.') as [string];
    const later = [
      await proof(usual, { ...claims, iat: now, jti: 'j9' }),
      await proof(usual, { ...claims, iat: now, jti: 'j10' }, other.privateKey),
      await proof(usual, { ...claims, iat: String(now) }),
      await proof(usual, { ...claims, iat: now, exp: now + 10 }),
      `${h}.${first.split('.')[1]}.${'A'.repeat(86)}`,
      `${h}.${first.split('.')[1]}.${'A'.repeat(85)}`,
      `${h}.e30.${first.split('.')[2]}`,
    ];
    for (const p of later) {
      expect(p.startsWith(`${h}.`)).toBe(true);
      expect(await joseAgentProofs.verifyDpop(p), p).toEqual(await reference(p));
    }
    expect(await joseAgentProofs.verifyDpop(later[0] as string)).not.toBeNull();
    expect(await usualDpop(later[1] as string)).toBeNull();
    expect(await usualDpop(later[2] as string)).toBeUndefined();
  });

  it('leaves every unusual proof to jose, whose answer it gives', async () => {
    const cases = [
      await proof({ ...usual, typ: 'application/dpop+jwt' }),
      await proof({ ...usual, alg: 'Ed25519' }),
      await proof({ ...usual, kid: 'k' }),
      await proof({ ...usual, crit: ['b64'], b64: true }),
      await proof({ ...usual, typ: 'jwt' }),
      await proof({ ...usual, jwk: { ...pub, d: 'AAAA' } }),
      await proof({ ...usual, jwk: { ...pub, x: `${pub.x}A` } }),
      await proof(usual, { ...claims, iat: String(now) }),
      await proof(usual, { ...claims }),
      await proof(usual, { ...claims, iat: now, exp: now - 10 }),
      await proof(usual, { ...claims, iat: now, nbf: now + 10 }),
      'a.b',
      'not a jws at all',
      `${(await proof(usual)).slice(0, -2)}`,
      `${await proof(usual)}=`,
    ];
    for (const p of cases) {
      expect(await usualDpop(p), p).toBeUndefined();
      expect(await joseAgentProofs.verifyDpop(p), p).toEqual(await reference(p));
    }
    // and some of them do verify under jose: leaving a proof to jose is not refusing it
    expect(await joseAgentProofs.verifyDpop(cases[0] as string)).not.toBeNull();
  });
});
