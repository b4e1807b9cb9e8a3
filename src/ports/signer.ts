/** The kernel's signing identity (KIA): a single Ed25519 key (L1) or a FROST threshold key. */
export interface Signer {
  readonly algorithm: 'Ed25519';
  /** Raw 32-byte Ed25519 public key (or FROST group key). */
  publicKey(): Uint8Array;
  /** How the key is held, as the GEC Manifest declares it (KEE-1 §4.2, digest 3.1). */
  describe(): SignerDescription;
  /** Signs `message`; rejects with DomainError SIGNER_FAILED when no signature can be made. */
  sign(message: Uint8Array): Promise<Uint8Array>;
  /**
   * Threshold signers: signs as `sign` does and says which participants (identifiers) made the
   * signature. The kernel records them with the Session Block signature (KEE-1 Appendix A step 9).
   */
  signWithQuorum?(message: Uint8Array): Promise<QuorumSignature>;
  /**
   * Threshold signers: which participants answer a health check now (no signing). The kernel
   * probes while signing is suspended, and now and then otherwise, to alert and recover by itself.
   */
  probe?(): Promise<SignerHealth>;
}

/** A threshold signature and the participants whose shares were aggregated into it, ascending. */
export type QuorumSignature = { signature: Uint8Array; participants: number[] };

/** Participants reachable now, out of the key's n; signing needs `threshold` of them. */
export type SignerHealth = { threshold: number; participants: number; available: number[]; unavailable: number[] };

/**
 * What a failed threshold signature may carry (duck-typed by the kernel; FrostSigningError has
 * both): participants that did not answer, and those whose shares did not verify.
 */
export type SignerFailureDetail = { unavailable?: readonly number[]; culprits?: readonly number[] };

/** Verifies Ed25519 signatures; used by the offline audit verifier. */
export interface SignatureVerifier {
  verify(signature: Uint8Array, message: Uint8Array, publicKey: Uint8Array): boolean;
}

/** The signing configuration a GEC Manifest declares. */
export type SignerDescription = {
  /** `ed25519` (one key, L1 only) or `frost` (threshold). */
  scheme: 'ed25519' | 'frost';
  /** `ed25519:single`, or `frost:t-of-n:<t>-<n>`. */
  deployment_constraint: string;
  /** false for software keys and shares. */
  hardware_backed: boolean;
};
