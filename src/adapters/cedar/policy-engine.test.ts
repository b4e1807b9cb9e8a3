import { describe, expect, it } from 'vitest';
import { loadCedar } from '../../../test/support/cedar.ts';
import { wasmMerkle } from '../../../test/support/wasm.ts';
import { isDomainError } from '../../kernel/errors.ts';
import type { CedarApi } from './cedar-api.ts';
import { DEFAULT_CAP_PROFILE } from './default-profile.ts';
import { CedarPolicyEngine } from './policy-engine.ts';

const cedar = loadCedar();
type Call = Parameters<CedarApi['statefulIsAuthorized']>[0];

/** cedar-wasm, with `statefulIsAuthorized` replaced. */
const over = (decide: (call: Call) => ReturnType<CedarApi['statefulIsAuthorized']>): CedarApi => ({ ...cedar, statefulIsAuthorized: decide });

describe('CedarPolicyEngine warm-up', () => {
  it('decides the known request against the warm-up set (with its schema only for a set that has one), then a probe of this set', () => {
    const seen: string[] = [];
    const spy = over((call) => {
      seen.push(`${call.preparsedPolicySetId.split('@')[0]} ${call.preparsedSchemaName ?? 'without a schema'}`);
      return cedar.statefulIsAuthorized(call);
    });
    // the default profile has no schema: the escaped JSON request, no schema parsed
    const engine = CedarPolicyEngine.load(spy, DEFAULT_CAP_PROFILE, wasmMerkle());
    engine.warm();
    const once = ['kee-warm-up without a schema', 'kee-warm-up without a schema', `${DEFAULT_CAP_PROFILE.capProfileId} without a schema`];
    expect(seen).toEqual(once);
    // the next set's warm-up decides the known request again (the warm-up set stays pre-parsed)
    CedarPolicyEngine.load(spy, { ...DEFAULT_CAP_PROFILE, capProfileId: 'next' }, wasmMerkle()).warm();
    expect(seen).toEqual([...once, 'kee-warm-up without a schema', 'kee-warm-up without a schema', 'next without a schema']);
    // a set with a schema: the typed request against the warm-up schema, and the known answer again
    const schema = 'entity Team; entity Agent in [Team]; entity Incident { severity: Long }; action read appliesTo { principal: [Agent], resource: [Incident] };';
    seen.length = 0;
    CedarPolicyEngine.load(spy, { capProfileId: 'typed', schema, policies: '@id("sev") permit (principal, action == Action::"read", resource) when { resource.severity <= 2 };' }, wasmMerkle()).warm();
    expect(seen.slice(0, 2)).toEqual(['kee-warm-up kee-warm-up-schema', 'kee-warm-up kee-warm-up-schema']);
  });

  it('fails its warm-up (UNAVAILABLE) when cedar-wasm answers the known request wrongly or traps', () => {
    const wrong = over(() => ({ type: 'success', response: { decision: 'deny', diagnostics: { reason: [], errors: [] } } }));
    const trap = over(() => {
      throw new WebAssembly.RuntimeError('unreachable');
    });
    for (const [api, message] of [
      [wrong, 'policy engine failed its warm-up: cedar-wasm gave a wrong answer to the warm-up request: {"allow":false,"reasons":[],"errorIds":[]}'],
      [trap, 'policy engine failed its warm-up: unreachable'],
    ] as const) {
      const engine = CedarPolicyEngine.load(api, DEFAULT_CAP_PROFILE, wasmMerkle());
      const err = (() => {
        try {
          engine.warm();
        } catch (e) {
          return e;
        }
      })();
      expect(isDomainError(err, 'UNAVAILABLE')).toBe(true);
      expect((err as Error).message).toBe(message);
    }
  });
});

describe('CedarPolicyEngine.rehash', () => {
  it('parses the held text again on every call; `sameText` gives again the hash of exactly the same text, and parses a changed one', () => {
    let parses = 0;
    const spy: CedarApi = {
      ...cedar,
      policySetTextToParts: (text: string) => {
        parses++;
        return cedar.policySetTextToParts(text);
      },
    };
    const engine = CedarPolicyEngine.load(spy, DEFAULT_CAP_PROFILE, wasmMerkle());
    const declared = engine.active().cedarPolicyHash;
    const afterLoad = parses;
    expect(engine.rehash()).toBe(declared);
    expect(engine.rehash()).toBe(declared);
    expect(parses).toBe(afterLoad + 2);
    expect(engine.rehash(true)).toBe(declared);
    expect(parses).toBe(afterLoad + 2);
    (engine.source() as { policies: string }).policies += '\n@id("smuggled")\npermit(principal, action, resource);\n';
    const changed = engine.rehash(true);
    expect(parses).toBe(afterLoad + 3);
    expect(changed).not.toBe(declared);
  });
});
