/** The kernel's signing identity (KIA). A single Ed25519 key for now; FROST comes behind the same port. */
export interface Signer {
  readonly algorithm: 'Ed25519';
  /** Raw 32-byte Ed25519 public key (or FROST group key). */
  publicKey(): Uint8Array;
  /** Signs `message`; rejects with DomainError SIGNER_FAILED when no signature can be made. */
  sign(message: Uint8Array): Promise<Uint8Array>;
}

/** Verifies Ed25519 signatures; used by the offline audit verifier. */
export interface SignatureVerifier {
  verify(signature: Uint8Array, message: Uint8Array, publicKey: Uint8Array): boolean;
}
