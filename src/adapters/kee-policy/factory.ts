import { DomainError } from '../../kernel/errors.ts';
import type { PolicyEngineFactory } from '../../ports/policy.ts';
import type { KeeWasm } from '../wasm/load.ts';
import { KeePolicyEngine, type KeePolicyEngineOptions } from './policy-engine.ts';

/** A request no policy is written for: evaluated once after each load, its answer discarded. */
const WARM_UP = { principal: { type: 'Kee', id: 'warm-up' }, action: { type: 'Action', id: 'kee-warm-up' }, resource: { type: 'Kee', id: 'warm-up' }, context: {} };

/**
 * The default engine factory: each candidate set is parsed, validated against its schema (when
 * given), indexed and hashed in WASM memory by `kee-policy`, beside the set still serving.
 *
 * Each new set answers one throw-away request before it is handed over: the first evaluation
 * in a process pays one-time costs (measured ~90 ms on a loaded two-core machine, then
 * ~0.1 ms), which would otherwise push the first real decision over the time budget (a DENY).
 * A set that traps on it is refused.
 */
export function keePolicyEngineFactory(wasm: KeeWasm, options: KeePolicyEngineOptions = {}): PolicyEngineFactory {
  return {
    load: (source) => {
      const engine = KeePolicyEngine.load(wasm, source, options);
      const probe = engine.evaluate(WARM_UP);
      if (probe.errors.some((e) => /^policy engine (trapped|is unavailable)/.test(e))) {
        engine.dispose();
        throw new DomainError('UNAVAILABLE', `policy engine failed on its first evaluation: ${probe.errors.join('; ')}`);
      }
      return engine;
    },
  };
}
