import type { Merkle } from '../../ports/merkle.ts';
import type { PolicyEngineFactory } from '../../ports/policy.ts';
import type { CedarApi } from './cedar-api.ts';
import { CedarPolicyEngine } from './policy-engine.ts';

/**
 * Engine factory over `@cedar-policy/cedar-wasm` (`KEE_POLICY_ENGINE=cedar-wasm`): static
 * policies and an optional schema; template links are refused (they need `kee-policy`).
 * cedar-wasm cannot drop a pre-parsed set, so each distinct activated set stays in its memory
 * until the process ends.
 */
export function cedarPolicyEngineFactory(cedar: CedarApi, merkle: Merkle): PolicyEngineFactory {
  return { load: (source) => CedarPolicyEngine.load(cedar, source, merkle) };
}
