/**
 * `KEE_POLICY_ENGINE` selects the Cedar engine in every entry: `kee-policy` (default, the Rust
 * engine in `wasm/kee_wasm_bg.wasm`) or `cedar-wasm` (`@cedar-policy/cedar-wasm`).
 */
import type { CedarApi } from '../adapters/cedar/cedar-api.ts';
import { cedarPolicyEngineFactory } from '../adapters/cedar/factory.ts';
import { keePolicyEngineFactory } from '../adapters/kee-policy/factory.ts';
import type { KeeWasmCore } from '../adapters/wasm/load.ts';
import type { Merkle } from '../ports/merkle.ts';
import type { PolicyEngineFactory } from '../ports/policy.ts';

export const POLICY_ENGINES = ['kee-policy', 'cedar-wasm'] as const;
export type PolicyEngineName = (typeof POLICY_ENGINES)[number];

/** The engine named by `KEE_POLICY_ENGINE` (unset or empty: `kee-policy`); throws on an unknown name. */
export function policyEngineName(value: string | undefined): PolicyEngineName {
  const name = value === undefined || value.trim() === '' ? 'kee-policy' : value.trim();
  if (!(POLICY_ENGINES as readonly string[]).includes(name)) {
    throw new Error(`KEE_POLICY_ENGINE must be one of ${POLICY_ENGINES.join(', ')}; got \`${name}\``);
  }
  return name as PolicyEngineName;
}

export function policyEngineFactory(name: PolicyEngineName, deps: { wasm: KeeWasmCore; cedar: () => CedarApi; merkle: Merkle }): PolicyEngineFactory {
  return name === 'cedar-wasm' ? cedarPolicyEngineFactory(deps.cedar(), deps.merkle) : keePolicyEngineFactory(deps.wasm);
}
