import { ed25519 } from '@noble/curves/ed25519.js';
import { DomainError } from '../../kernel/errors.ts';
import type { SignatureVerifier, Signer, SignerDescription } from '../../ports/signer.ts';

/** Single-key Ed25519 signer (KIA §4.1, allowed at L1) over a 32-byte secret seed. */
export class Ed25519Signer implements Signer {
  readonly algorithm = 'Ed25519' as const;
  private readonly pub: Uint8Array;
  private readonly seed: Uint8Array;

  constructor(seed: Uint8Array) {
    this.seed = seed;
    if (seed.length !== 32) throw new DomainError('INVALID_INPUT', 'an ed25519 secret key is 32 bytes');
    this.pub = ed25519.getPublicKey(seed);
  }

  /** A fresh key from the CSPRNG. */
  static generateSeed(): Uint8Array {
    return ed25519.utils.randomSecretKey();
  }

  publicKey(): Uint8Array {
    return this.pub.slice();
  }

  describe(): SignerDescription {
    return { scheme: 'ed25519', deployment_constraint: 'ed25519:single', hardware_backed: false };
  }

  async sign(message: Uint8Array): Promise<Uint8Array> {
    return ed25519.sign(message, this.seed);
  }
}

/** Ed25519 verification (RFC 8032) with @noble/curves. */
export const ed25519Verifier: SignatureVerifier = {
  verify(signature, message, publicKey) {
    try {
      return ed25519.verify(signature, message, publicKey);
    } catch {
      return false;
    }
  },
};
