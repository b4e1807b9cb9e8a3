import { blake2b } from '@noble/hashes/blake2.js';
import { canonicalJson } from '../kernel/jcs.ts';

/** What a credential is bound to: the Cedar request the agent was authorized for. */
export type Intent = { principal: unknown; action: unknown; resource: unknown; context: unknown };

/**
 * The intent fingerprint: lowercase hex BLAKE2b-256 of the RFC 8785 JCS of
 * `{principal, action, resource, context}`. A provider computes it from the request it actually
 * received (its own mapping of that request to principal, action, resource and context) and
 * compares it with the credential's `intent` claim.
 */
export function intentFingerprint(intent: Intent): string {
  const { principal, action, resource, context } = intent;
  const digest = blake2b(UTF8.encode(canonicalJson({ principal, action, resource, context })), { dkLen: 32 });
  let hex = '';
  for (const b of digest) hex += HEX[b];
  return hex;
}

const UTF8 = new TextEncoder();
/** Two lowercase hex digits per byte value (the fingerprint is on every verification's path). */
const HEX = Array.from({ length: 256 }, (_, b) => b.toString(16).padStart(2, '0'));
