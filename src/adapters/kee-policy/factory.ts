import type { PolicyEngineFactory } from '../../ports/policy.ts';
import type { KeeWasmCore } from '../wasm/load.ts';
import { KeePolicyEngine, type KeePolicyEngineOptions } from './policy-engine.ts';

/**
 * The default engine factory: each candidate set is parsed, validated against its schema (when
 * given), indexed and hashed in WASM memory by `kee-policy`, beside the set still serving. The
 * kernel warms each set (`KeePolicyEngine.warm`) before it serves.
 */
export function keePolicyEngineFactory(wasm: KeeWasmCore, options: KeePolicyEngineOptions = {}): PolicyEngineFactory {
  return { load: (source) => KeePolicyEngine.load(wasm, source, options) };
}
