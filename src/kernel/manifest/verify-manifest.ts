import type { Merkle } from '../../ports/merkle.ts';
import type { SignatureVerifier } from '../../ports/signer.ts';
import { fromHex, toHex } from '../hex.ts';
import { manifestBody, type GecManifest } from './manifest.ts';

export type ManifestVerification = { ok: true; manifest: GecManifest; lock: string } | { ok: false; reason: string };

const utf8 = new TextEncoder();
const HEX64 = /^[0-9a-f]{64}$/;

/** The hash-lock of a manifest: SHA-256 over the JCS of its body (the manifest without `manifest_signature`), hex. */
export function manifestLock(merkle: Merkle, canonicalBody: string): string {
  return toHex(merkle.sha256(utf8.encode(canonicalBody)));
}

/**
 * Verifies a manifest as stored or served, the way an auditor would offline: it is the JCS of
 * itself, its key fingerprint is the SHA-256 of the key it declares, and `manifest_signature`
 * is a valid Ed25519 signature by that key over the JCS of the body. Canonicalizes with the
 * Merkle port (the Rust JCS), independently of the TypeScript canonicalizer that issued it.
 */
export function verifyManifestText(text: string, deps: { merkle: Merkle; verifier: SignatureVerifier }): ManifestVerification {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    return { ok: false, reason: 'not valid JSON' };
  }
  if (!parsed || typeof parsed !== 'object' || Array.isArray(parsed)) return { ok: false, reason: 'not a JSON object' };
  const m = parsed as GecManifest;
  const sig = m.manifest_signature as Partial<GecManifest['manifest_signature']> | undefined;
  const pk = m.signing_config?.public_key;
  if (!sig || typeof sig.signature !== 'string' || sig.algorithm !== 'Ed25519') return { ok: false, reason: 'no Ed25519 `manifest_signature`' };
  if (typeof pk !== 'string' || !HEX64.test(pk)) return { ok: false, reason: 'no 32-byte `signing_config.public_key`' };
  let canonical: string;
  let canonicalBody: string;
  try {
    canonical = deps.merkle.canonicalize(m);
    canonicalBody = deps.merkle.canonicalize(manifestBody(m));
  } catch {
    return { ok: false, reason: 'cannot be canonicalized' };
  }
  if (canonical !== text) return { ok: false, reason: 'text is not in canonical (JCS) form' };
  const key = fromHex(pk) as Uint8Array;
  const fingerprint = toHex(deps.merkle.sha256(key));
  if (m.kernel_keypair_fingerprint !== fingerprint || sig.key_id !== fingerprint) {
    return { ok: false, reason: '`kernel_keypair_fingerprint` or `manifest_signature.key_id` is not the SHA-256 of the declared key' };
  }
  const signature = fromHex(sig.signature);
  if (!signature || signature.length !== 64 || !deps.verifier.verify(signature, utf8.encode(canonicalBody), key)) {
    return { ok: false, reason: '`manifest_signature` does not verify' };
  }
  return { ok: true, manifest: m, lock: manifestLock(deps.merkle, canonicalBody) };
}
