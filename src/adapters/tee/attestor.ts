/**
 * The sidecar's side of `POST /v1/attestation` (issue 21): evidence for report data
 * SHA-512(nonce || identity key) from its provider, the answer signed by its Ed25519 identity key
 * (kernel/attestation/evidence.ts says what the kernel checks). Provider `none` answers without
 * evidence (a deployment with such a sidecar cannot be KEE1-L2).
 */
import { ed25519 } from '@noble/curves/ed25519.js';
import { answerSigningInput, bindingReportData, bytesToBase64, type AttestationAnswer } from '../../kernel/attestation/evidence.ts';
import { DomainError } from '../../kernel/errors.ts';
import { toHex } from '../../kernel/hex.ts';
import type { TeeReportProvider } from '../../ports/attestation.ts';

/** Nonce sizes accepted (bytes). */
export const NONCE_MIN = 16;
export const NONCE_MAX = 64;

export class SidecarAttestor {
  private readonly provider: TeeReportProvider | null;
  private readonly seed: Uint8Array;
  readonly identityKey: Uint8Array;

  /** `provider` null is `none`; `identitySeed` is the sidecar's 32-byte Ed25519 identity seed. */
  constructor(provider: TeeReportProvider | null, identitySeed: Uint8Array) {
    this.provider = provider;
    this.seed = identitySeed.slice();
    this.identityKey = ed25519.getPublicKey(this.seed);
  }

  get providerName(): 'configfs-tsm' | 'none' {
    return this.provider?.name ?? 'none';
  }

  async attest(nonce: Uint8Array): Promise<AttestationAnswer> {
    if (nonce.length < NONCE_MIN || nonce.length > NONCE_MAX) throw new DomainError('INVALID_INPUT', `the nonce must be ${NONCE_MIN} to ${NONCE_MAX} bytes, got ${nonce.length}`);
    const unsigned: Omit<AttestationAnswer, 'signature'> = { provider: this.providerName, nonce: toHex(nonce), identity_key: toHex(this.identityKey) };
    if (this.provider) {
      const r = await this.provider.report(await bindingReportData(nonce, this.identityKey));
      unsigned.tsm_provider = r.tsmProvider;
      unsigned.evidence = bytesToBase64(r.outblob);
      if (r.auxblob && r.auxblob.length > 0) unsigned.auxblob = bytesToBase64(r.auxblob);
    }
    return { ...unsigned, signature: toHex(ed25519.sign(answerSigningInput(unsigned), this.seed)) };
  }
}
