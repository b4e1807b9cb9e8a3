import { nobleIntentHasher } from '../noble/blake2b.ts';
import { uuidXpidDeriver } from '../uuid/xpid.ts';
import { joseAgentProofs } from './agent-proofs.ts';
import { JoseTokenSigner } from './token-signer.ts';

/** The credential ports of `KernelDeps` (`tokens`, `intentHasher`, `xpid`, `agentProofs`) over one token key seed (fresh if none). */
export function credentialDeps(seed: Uint8Array = JoseTokenSigner.generateSeed()) {
  return { tokens: new JoseTokenSigner(seed), intentHasher: nobleIntentHasher, xpid: uuidXpidDeriver(), agentProofs: joseAgentProofs };
}
