import { describe, expect, it } from 'vitest';
import { DEFAULT_CAP_PROFILE } from '../adapters/cedar/default-profile.ts';
import { loadCedar } from '../../test/support/cedar.ts';
import { loadKeeWasm, wasmMerkle } from '../../test/support/wasm.ts';
import { policyEngineFactory, policyEngineName } from './policy-engine.ts';

describe('KEE_POLICY_ENGINE', () => {
  it('defaults to kee-policy and accepts cedar-wasm', () => {
    expect(policyEngineName(undefined)).toBe('kee-policy');
    expect(policyEngineName('')).toBe('kee-policy');
    expect(policyEngineName(' cedar-wasm ')).toBe('cedar-wasm');
    expect(() => policyEngineName('opa')).toThrow('KEE_POLICY_ENGINE must be one of kee-policy, cedar-wasm; got `opa`');
  });

  it('both engines load the built-in profile with the same cedar_policy_hash; the cedar module is asked for only when chosen', () => {
    let cedarUsed = 0;
    const deps = {
      wasm: loadKeeWasm(),
      merkle: wasmMerkle(),
      cedar: () => {
        cedarUsed++;
        return loadCedar();
      },
    };
    const kee = policyEngineFactory('kee-policy', deps).load(DEFAULT_CAP_PROFILE);
    expect(cedarUsed).toBe(0);
    const cedar = policyEngineFactory('cedar-wasm', deps).load(DEFAULT_CAP_PROFILE);
    expect(cedarUsed).toBe(1);
    expect(kee.active()).toEqual(cedar.active());
    expect(kee.constructor.name).toBe('KeePolicyEngine');
    expect(cedar.constructor.name).toBe('CedarPolicyEngine');
  });

  it('the cedar-wasm engine refuses template links (they need kee-policy)', () => {
    const deps = { wasm: loadKeeWasm(), merkle: wasmMerkle(), cedar: loadCedar };
    const source = { capProfileId: 'p', policies: '@id("t") permit (principal in ?principal, action, resource);', links: [{ templateId: 't', newId: 'l', values: { '?principal': { type: 'Team', id: 'x' } } }] };
    expect(policyEngineFactory('kee-policy', deps).load(source).active().policyIds).toEqual(['l']);
    expect(() => policyEngineFactory('cedar-wasm', deps).load(source)).toThrow('template links need the `kee-policy` engine');
  });
});
