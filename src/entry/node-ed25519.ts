/**
 * Ed25519 for the coordinator's request signatures over `node:crypto`: the keys are prepared
 * once as KeyObjects, and each sign or verify is one synchronous OpenSSL call, without
 * WebCrypto's per-call algorithm normalisation, key checks and thread-pool round trip (a
 * signer round trip pays one of each). Same signatures, same checks as the WebCrypto provider.
 */
import { createPrivateKey, createPublicKey, sign, verify } from 'node:crypto';
import type { Ed25519Provider } from '../adapters/frost/coordinator-auth.ts';
import { DomainError } from '../kernel/errors.ts';

// RFC 8410 DER prefixes: PKCS#8 for a 32-byte Ed25519 seed, SPKI for a 32-byte public key.
const PKCS8_PREFIX = Buffer.from('302e020100300506032b657004220420', 'hex');
const SPKI_PREFIX = Buffer.from('302a300506032b6570032100', 'hex');

export const nodeEd25519: Ed25519Provider = {
  signer(seed) {
    if (seed.length !== 32) throw new DomainError('INVALID_INPUT', 'the coordinator key is a 32-byte Ed25519 seed');
    const der = Buffer.concat([PKCS8_PREFIX, seed]);
    const key = createPrivateKey({ key: der, format: 'der', type: 'pkcs8' });
    der.fill(0);
    return (text) => new Uint8Array(sign(null, text, key));
  },
  verifier(publicKey) {
    if (publicKey.length !== 32) throw new DomainError('INVALID_INPUT', 'the coordinator public key is 32 bytes (64 hex characters)');
    const key = createPublicKey({ key: Buffer.concat([SPKI_PREFIX, publicKey]), format: 'der', type: 'spki' });
    return (signature, text) => signature.length === 64 && verify(null, text, key, signature);
  },
};
