import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { DEFAULT_CAP_PROFILE } from '../src/adapters/cedar/default-profile.ts';
import { KeePolicyEngine } from '../src/adapters/kee-policy/policy-engine.ts';
import type { KeeWasm, WasmPolicySet } from '../src/adapters/wasm/load.ts';
import type { PolicyEngine, PolicyEvaluation } from '../src/ports/policy.ts';
import { agentRead, makeHarness } from './support/harness.ts';
import { records } from './support/policy-sets.ts';
import { loadKeeWasm } from './support/wasm.ts';

/**
 * Fault injection into the policy engine (issue 5, P1 fail-closed): whatever the engine does
 * wrong — throw, trap, overrun its budget, answer malformed or self-contradictory results — the
 * decision is DENY with a reason, recorded as CEDAR_DENY; never PERMIT.
 */

const wasm = loadKeeWasm();
const real = KeePolicyEngine.load(wasm, DEFAULT_CAP_PROFILE, { budgetMs: 60_000 });

/** A KeePolicyEngine over a WASM set whose `evaluate` behaves as given (a trap is a throw from WASM). */
function keeOver(evaluate: WasmPolicySet['evaluate'], options: { budgetMs?: number; now?: () => number } = {}): PolicyEngine {
  const set: WasmPolicySet = { evaluate, evaluateStored: evaluate, setEntities: () => ({ type: 'success', value: 0 }), info: () => ({ ...real.active(), templateIds: [] }), free: () => undefined };
  const fake: KeeWasm = { ...wasm, loadPolicySet: () => ({ type: 'success', value: set }) };
  return KeePolicyEngine.load(fake, DEFAULT_CAP_PROFILE, options);
}

const permitAnswer = () => ({ type: 'success' as const, value: { allow: true, reasons: ['kee-default-read'], errors: [] } });

/** Each fault, as an engine. */
const FAULTS: Record<string, () => PolicyEngine> = {
  throws: () => fake(() => {
    throw new Error('engine exploded');
  }),
  'throws a non-error': () => fake(() => {
    throw 'bare string';
  }),
  'returns errors with PERMIT': () => fake(() => ({ decision: 'PERMIT', policyIds: ['kee-default-read'], errors: ['policy `x`: type error'] })),
  'returns PERMIT without a determining policy': () => fake(() => ({ decision: 'PERMIT', policyIds: [], errors: [] })),
  'returns an unknown decision': () => fake(() => ({ decision: 'ALLOW', policyIds: ['kee-default-read'], errors: [] }) as never),
  'returns nothing': () => fake(() => undefined as never),
  'returns malformed policy ids': () => fake(() => ({ decision: 'PERMIT', policyIds: 'kee-default-read', errors: [] }) as never),
  'returns malformed errors': () => fake(() => ({ decision: 'PERMIT', policyIds: ['kee-default-read'], errors: [{ message: 'x' }] }) as never),
  'WASM trap': () =>
    keeOver(() => {
      throw new WebAssembly.RuntimeError('unreachable');
    }),
  'WASM failure result': () => keeOver(() => ({ type: 'failure', error: { code: 'INTERNAL', message: 'entity store corrupt' } })),
  'WASM permit with policy errors': () => keeOver(() => ({ type: 'success', value: { allow: true, reasons: ['kee-default-read'], errors: [{ policyId: 'f', message: 'overflow' }] } })),
  'over its time budget': () => {
    let t = 0;
    return keeOver(permitAnswer, { budgetMs: 5, now: () => (t += 10) });
  },
};

/**
 * The engine as the kernel serves it, without the warm-up the kernel runs at start: the faults
 * here are in the decisions (an engine that fails its warm-up never serves: policy-registry.test.ts).
 */
function unwarmed(engine: PolicyEngine): PolicyEngine {
  return { evaluate: (r) => engine.evaluate(r), active: () => engine.active(), rehash: () => real.rehash?.() ?? '' };
}

function fake(evaluate: () => PolicyEvaluation): PolicyEngine {
  return { active: () => real.active(), rehash: () => real.rehash?.() ?? '', evaluate };
}

describe('fault injection into the policy engine', () => {
  for (const [name, make] of Object.entries(FAULTS)) {
    it(`DENY with a reason, never PERMIT: ${name}`, async () => {
      const h = makeHarness({ deps: { policy: unwarmed(make()) } });
      const s = await h.kernel.openSession('a');
      // a request the healthy engine permits
      expect(real.evaluate(agentRead()).decision).toBe('PERMIT');
      const r = await h.kernel.authorize(s.session_id, agentRead());
      expect(r.decision).toBe('DENY');
      expect(r.reasons.length).toBeGreaterThan(0);
      const rec = records(h, s.session_id).at(-1)!;
      expect(rec).toMatchObject({ ale_type: 'CEDAR_DENY', decision: 'DENY', reasons: r.reasons });
    });
  }

  it('a trapped WASM engine stays closed for every later request', async () => {
    let calls = 0;
    const h = makeHarness({
      deps: {
        policy: unwarmed(
          keeOver(() => {
            if (++calls === 2) throw new WebAssembly.RuntimeError('memory access out of bounds');
            return permitAnswer();
          }),
        ),
      },
    });
    const s = await h.kernel.openSession('a');
    const decisions = [];
    for (let i = 0; i < 4; i++) decisions.push((await h.kernel.authorize(s.session_id, agentRead())).decision);
    expect(decisions).toEqual(['PERMIT', 'DENY', 'DENY', 'DENY']);
    expect(calls).toBe(2);
  });

  it('property: over random sequences of faults and clean answers, only a clean PERMIT is a PERMIT', async () => {
    const behaviours = [...Object.keys(FAULTS), 'clean PERMIT', 'clean DENY'];
    let script: string[] = [];
    // the engine the kernel holds: each evaluation plays the next scripted behaviour
    const scripted: PolicyEngine = {
      active: () => real.active(),
      rehash: () => real.rehash?.() ?? '',
      evaluate: (request) => {
        const b = script.shift() as string;
        if (b === 'clean PERMIT') return real.evaluate(request);
        if (b === 'clean DENY') return real.evaluate({ ...request, action: { type: 'Action', id: 'classify_gold' } });
        return (FAULTS[b] as () => PolicyEngine)().evaluate(request);
      },
    };
    const h = makeHarness({ deps: { policy: scripted } });
    const s = await h.kernel.openSession('a');
    await fc.assert(
      fc.asyncProperty(fc.array(fc.constantFrom(...behaviours), { minLength: 1, maxLength: 8 }), async (seq) => {
        script = [...seq];
        for (const b of seq) {
          const r = await h.kernel.authorize(s.session_id, agentRead());
          if (b === 'clean PERMIT') expect(r).toMatchObject({ decision: 'PERMIT', reasons: [] });
          else {
            expect(r.decision).toBe('DENY');
            if (b !== 'clean DENY') expect(r.reasons.length).toBeGreaterThan(0);
          }
        }
      }),
      { numRuns: 60 },
    );
    expect(script).toEqual([]);
  });
});
