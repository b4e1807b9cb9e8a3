/**
 * Detached JWS (RFC 7515 Appendix F) of an ACD Record: protected header
 * `{"alg":"EdDSA","kid":<kernel key id>,"typ":"soos-acd+jws"}`, payload = the UTF-8 JCS of the
 * record without `gec_signature`, signature by the kernel signer (Ed25519 or FROST group key:
 * a FROST signature verifies as plain Ed25519). The compact form leaves the payload out:
 * `<header>..<signature>`; a verifier puts base64url(JCS(record minus gec_signature)) back.
 */
import { base64url } from '../agents/registry-entry.ts';
import { canonicalJson } from '../jcs.ts';
import { ACD_JWS_TYP } from './acd-record.ts';

const utf8 = new TextEncoder();

/** The JWS signing input and the compact detached form builder for `payload` (a JSON object). */
export function detachedSigningInput(payload: unknown, kid: string): { input: Uint8Array; header: string } {
  const header = base64url(utf8.encode(canonicalJson({ alg: 'EdDSA', kid, typ: ACD_JWS_TYP })));
  const canonical = canonicalJson(payload);
  return { input: utf8.encode(`${header}.${base64url(utf8.encode(canonical))}`), header };
}

/** `<header>..<signature>`. */
export function detachedCompact(header: string, signature: Uint8Array): string {
  return `${header}..${base64url(signature)}`;
}
