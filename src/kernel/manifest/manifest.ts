/**
 * The GEC Manifest (KEE-1 P5, digest 3.1): what this kernel is and what it runs, hash-locked and
 * signed. Hash-lock = SHA-256 over the RFC 8785 JCS of the manifest *without*
 * `manifest_signature` (digest 3.1 choice, so re-signing identical content keeps the lock);
 * `manifest_signature` is the kernel signer's Ed25519 signature over exactly that JCS text, so
 * it verifies with any Ed25519 library against `signing_config.public_key`.
 */

import type { TeeAttestationEntry } from '../attestation/evidence.ts';

/** Media type of a served manifest (digest 3.1). */
export const MANIFEST_MEDIA_TYPE = 'application/soos-gec-manifest+json';

/** Document kind under which manifests are stored (`seq` = epoch). */
export const MANIFEST_DOCUMENT_KIND = 'gec_manifest';

export type ConformanceLevel = 'KEE1-L1' | 'KEE1-L2' | 'KEE1-L3';

/** A requirement of a higher level (or of this one) that the deployment does not meet, and why. */
export type UnmetRequirement = { requirement: string; level: ConformanceLevel; reason: string };

/** KIA-01 capability flags: which SOOS components this kernel implements. */
export type CapabilityFlags = {
  hem: boolean;
  cap: boolean;
  gar: boolean;
  idp: boolean;
  aep: boolean;
  mad: boolean;
  pt: boolean;
  mjwt: boolean;
  faip: boolean;
};

export type ManifestSignature = {
  algorithm: 'Ed25519';
  /** SHA-256 of the signing public key (= `kernel_keypair_fingerprint`). */
  key_id: string;
  /** 64-byte Ed25519 signature over the JCS of the body, lowercase hex. */
  signature: string;
};

/** The manifest without its signature: exactly what the hash-lock and the signature cover. */
export type ManifestBody = {
  manifest_version: string;
  manifest_id: string;
  /** 1, 2, …: one per issue (kernel start, policy epoch). */
  epoch: number;
  /** Hash-lock of the previous epoch's manifest, null for epoch 1: the epochs form a chain. */
  previous_manifest_hash: string | null;
  issued_at: string;
  /** Unix seconds, the same instant as `issued_at` (KIA-01). */
  attestation_timestamp: number;
  gec_id: string;
  kernel_version: string;
  soos_conformance_version: string;
  /** Computed from what runs (issue 21, `kernel/conformance/level.ts`), never claimed. */
  conformance_level: ConformanceLevel;
  /** Each requirement (of KEE1-L2 or below) not met, with its reason; absent in manifests issued before levels were computed. */
  conformance_unmet?: UnmetRequirement[];
  /**
   * The signer sidecars' TEE attestations of this epoch (issue 21): one per sidecar, fresh nonce,
   * raw evidence and the measurement fields extracted; absent without sidecars.
   */
  tee_attestation?: TeeAttestationEntry[];
  kernel_keypair_fingerprint: string;
  signing_config: { scheme: 'ed25519' | 'frost'; algorithm: 'Ed25519'; public_key: string };
  /** e.g. `ed25519:single`, `frost:t-of-n:2-3`. */
  deployment_constraints: string[];
  hardware_backed: boolean;
  cedar_policy_hash: string;
  cedar_policy_set_hashes: string[];
  loaded_policy_ids: string[];
  cap_profile_id: string;
  cap_profile_version: number;
  /** SHA-256(JCS(signed profile body)) (choice 5.5); absent for the built-in unsigned profile. */
  cap_profile_hash?: string;
  publisher_keys: { key_id: string; public_key: string }[];
  /**
   * The token keys that sign intent-bound credentials (`/.well-known/jwks.json`): `kid` is the
   * RFC 7638 thumbprint of the key's JWK. Absent in manifests issued before credentials existed.
   */
  token_keys?: { kid: string; public_key: string }[];
  /** Module file name -> SHA-256 of the loaded bytes. */
  wasm_modules: Record<string, string>;
  xpid_derivation_version: string;
  /** `KEE_AUTH` (issue 14): `agents` when agents authenticate with keys, `none` when any agent_id opens a session. */
  agent_authentication?: 'agents' | 'none';
  capability_flags: CapabilityFlags;
  /**
   * Why this deployment is not conformant, when a development switch let it run something its
   * level does not qualify for (KEE_ALLOW_NONCONFORMANT: a government profile below KEE1-L3).
   * Absent on a conformant deployment.
   */
  conformance_exceptions?: string[];
};

export type GecManifest = ManifestBody & { manifest_signature: ManifestSignature };

/** The manifest format version this kernel writes. */
export const MANIFEST_VERSION = '1.0';
/** The KernelSpec version a RATS verifier compares (KIA-06). */
export const SOOS_CONFORMANCE_VERSION = 'KEE-1 draft-sato-soos-kee-01';
/** Declared when no XPID deriver is given (KIA-03 allows `"none"`); a kernel declares its deriver's version (`"1.1"`). */
export const XPID_DERIVATION_VERSION = 'none';
export const CAPABILITY_FLAGS: CapabilityFlags = { hem: false, cap: true, gar: true, idp: false, aep: false, mad: false, pt: false, mjwt: false, faip: false };

/** The body of a manifest: every field but `manifest_signature` (a copy, shallow). */
export function manifestBody(manifest: GecManifest | ManifestBody): ManifestBody {
  const { manifest_signature: _sig, ...body } = manifest as GecManifest;
  return body;
}
