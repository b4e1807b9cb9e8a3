import { sha256 } from '@noble/hashes/sha2.js';
import { base64url, calculateJwkThumbprint, exportJWK, generateKeyPair, SignJWT, type CryptoKey, type JWK } from 'jose';

/** An agent's Ed25519 key pair for tests: its public JWK (to register), thumbprint, and signers of assertions and DPoP proofs. */
export async function agentKeyPair() {
  const { privateKey, publicKey } = await generateKeyPair('EdDSA', { extractable: true });
  const { kty, crv, x } = await exportJWK(publicKey);
  const jwk = { kty: kty as string, crv: crv as string, x: x as string };
  const jkt = await calculateJwkThumbprint(jwk as JWK, 'sha256');
  return { privateKey, jwk, jkt };
}

type KeyPair = Awaited<ReturnType<typeof agentKeyPair>>;
const now = () => Math.floor(Date.now() / 1000);

/** An RFC 7523 style client assertion; `claims` overrides any claim (undefined removes it). */
export function assertion(key: { privateKey: CryptoKey }, agentId: string, audience: string, claims: Record<string, unknown> = {}): Promise<string> {
  const iat = now();
  const body: Record<string, unknown> = { iss: agentId, sub: agentId, aud: audience, iat, exp: iat + 30, jti: crypto.randomUUID(), ...claims };
  for (const k of Object.keys(body)) if (body[k] === undefined) delete body[k];
  return new SignJWT(body).setProtectedHeader({ alg: 'EdDSA', typ: 'JWT' }).sign(key.privateKey);
}

/** An RFC 9449 DPoP proof for `method` `url` bound to `token`; `claims` overrides any claim. */
export function dpopProof(key: KeyPair, method: string, url: string, token: string, claims: Record<string, unknown> = {}): Promise<string> {
  const body: Record<string, unknown> = { htm: method, htu: url, iat: now(), jti: crypto.randomUUID(), ath: base64url.encode(sha256(new TextEncoder().encode(token))), ...claims };
  for (const k of Object.keys(body)) if (body[k] === undefined) delete body[k];
  return new SignJWT(body).setProtectedHeader({ alg: 'EdDSA', typ: 'dpop+jwt', jwk: key.jwk as JWK }).sign(key.privateKey);
}

/** The `Authorization` and `DPoP` headers of a call in an authenticated session. */
export async function dpopHeaders(key: KeyPair, method: string, url: string, token: string, claims: Record<string, unknown> = {}): Promise<Record<string, string>> {
  return { authorization: `DPoP ${token}`, dpop: await dpopProof(key, method, url, token, claims) };
}
