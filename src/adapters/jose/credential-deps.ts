import { nobleIntentHasher } from '../noble/blake2b.ts';
import { uuidXpidDeriver } from '../uuid/xpid.ts';
import { JoseTokenSigner } from './token-signer.ts';

/** The credential ports of `KernelDeps` (`tokens`, `intentHasher`, `xpid`) over one token key seed (fresh if none). */
export function credentialDeps(seed: Uint8Array = JoseTokenSigner.generateSeed()) {
  return { tokens: new JoseTokenSigner(seed), intentHasher: nobleIntentHasher, xpid: uuidXpidDeriver() };
}
