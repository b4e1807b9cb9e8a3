import { blake2b } from '@noble/hashes/blake2.js';
import type { IntentHasher } from '../../ports/token-signer.ts';

/** BLAKE2b with a 32-byte digest (RFC 7693) from @noble/hashes. */
export const nobleIntentHasher: IntentHasher = {
  blake2b256: (bytes) => blake2b(bytes, { dkLen: 32 }),
};
