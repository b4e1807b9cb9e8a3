import { decodeProtectedHeader, FlattenedSign, flattenedVerify, importJWK } from 'jose';
import { ed25519 } from '@noble/curves/ed25519.js';
import { DomainError } from '../../kernel/errors.ts';
import type { FlattenedJws, JwsCheck, JwsVerifier } from '../../ports/cap-profile.ts';

/** A JWS JSON general serialization (RFC 7515 §7.2.1). */
export type GeneralJws = { payload: string; signatures: { protected: string; header?: Record<string, unknown>; signature: string }[] };

/** JWS verification with `jose` (Web Crypto Ed25519): EdDSA only, raw 32-byte public keys. */
export const joseJwsVerifier: JwsVerifier = {
  protectedHeader(protectedB64) {
    try {
      const h = decodeProtectedHeader({ protected: protectedB64 });
      return typeof h === 'object' && h !== null ? (h as Record<string, unknown>) : null;
    } catch {
      return null;
    }
  },
  async verify(jws: FlattenedJws, publicKey: Uint8Array): Promise<JwsCheck> {
    try {
      const key = await importJWK({ kty: 'OKP', crv: 'Ed25519', x: base64url(publicKey) }, 'EdDSA');
      const { payload } = await flattenedVerify(jws, key, { algorithms: ['EdDSA'] });
      return { valid: true, payload };
    } catch (e) {
      return { valid: false, reason: e instanceof Error ? e.message.toLowerCase().replace(/\.$/, '') : 'signature does not verify' };
    }
  },
};

/**
 * Adds one publisher's EdDSA signature over `payload` to a general-serialization JWS (a new
 * one when `jws` is null), with `alg` and `kid` in the protected header. Refuses a second
 * signature by the same `kid` and a payload that differs from the JWS's.
 */
export async function addSignature(jws: GeneralJws | null, payload: Uint8Array, seed: Uint8Array, kid: string): Promise<GeneralJws> {
  if (seed.length !== 32) throw new DomainError('INVALID_INPUT', 'an ed25519 secret key is 32 bytes');
  const encoded = base64url(payload);
  if (jws && jws.payload !== encoded) throw new DomainError('CONFLICT', 'the profile differs from the payload the existing signatures cover');
  for (const s of jws?.signatures ?? []) {
    if (joseJwsVerifier.protectedHeader(s.protected)?.kid === kid) throw new DomainError('CONFLICT', `the JWS already carries a signature by \`${kid}\``);
  }
  const x = base64url(ed25519.getPublicKey(seed));
  const key = await importJWK({ kty: 'OKP', crv: 'Ed25519', x, d: base64url(seed) }, 'EdDSA');
  const flat = await new FlattenedSign(payload).setProtectedHeader({ alg: 'EdDSA', kid }).sign(key);
  const entry = { protected: flat.protected as string, signature: flat.signature };
  return { payload: encoded, signatures: [...(jws?.signatures ?? []), entry] };
}

/** Unpadded base64url (RFC 4648 §5). */
export function base64url(bytes: Uint8Array): string {
  let bin = '';
  for (let i = 0; i < bytes.length; i++) bin += String.fromCharCode(bytes[i] as number);
  return btoa(bin).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
}

/** Decodes unpadded base64url; null for anything else. */
export function fromBase64url(text: string): Uint8Array | null {
  if (!/^[A-Za-z0-9_-]*$/.test(text) || text.length % 4 === 1) return null;
  const bin = atob(text.replace(/-/g, '+').replace(/_/g, '/') + '='.repeat((4 - (text.length % 4)) % 4));
  return Uint8Array.from(bin, (c) => c.charCodeAt(0));
}
