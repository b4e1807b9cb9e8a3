import { describe, expect, it } from 'vitest';
import { DEFAULT_CAP_PROFILE } from '../src/adapters/cedar/default-profile.ts';
import { WARM_UP_PROBE, WARM_UP_REQUEST, WARM_UP_REQUEST_UNTYPED, WARM_UP_SCHEMA } from '../src/adapters/cedar/warm-up-profile.ts';
import { KeePolicyEngine } from '../src/adapters/kee-policy/policy-engine.ts';
import type { KeeWasm, WasmPolicySet } from '../src/adapters/wasm/load.ts';
import { DomainError } from '../src/kernel/errors.ts';
import { loadKeeWasm } from './support/wasm.ts';

const wasm = loadKeeWasm();
const agent = { type: 'Agent', id: 'a1' };
const incident = { type: 'Incident', id: 'i1' };
const action = (id: string) => ({ type: 'Action', id });

/** A KeeWasm whose loaded set behaves as `evaluate` says. */
function fakeWasm(evaluate: WasmPolicySet['evaluate']): KeeWasm {
  const set: WasmPolicySet = {
    evaluate,
    evaluateStored: evaluate,
    setEntities: () => ({ type: 'success', value: 0 }),
    info: () => ({ cedarPolicyHash: 'h', policyIds: [], templateIds: [], tiers: {} }),
    free: () => {},
  };
  return { ...wasm, loadPolicySet: () => ({ type: 'success', value: set }) };
}

describe('KeePolicyEngine', () => {
  it('decides the default profile', () => {
    // the first evaluation in a process pays one-time costs: no time budget here
    const engine = KeePolicyEngine.load(wasm, DEFAULT_CAP_PROFILE, { budgetMs: 60_000 });
    expect(engine.evaluate({ principal: agent, action: action('read'), resource: incident, context: {} })).toEqual({ decision: 'PERMIT', policyIds: ['kee-default-read'], errors: [] });
    expect(engine.evaluate({ principal: agent, action: action('classify_gold'), resource: incident, context: {} })).toEqual({ decision: 'DENY', policyIds: ['tier0b-no-auto-gold'], errors: [] });
    // the engine itself: only the kernel's facts under `context.hem` (an approved HEM-HIGH-1 escalation) satisfy the Tier 0-B policy
    expect(engine.evaluate({ principal: agent, action: action('classify_gold'), resource: incident, context: { human_approval: true } }).decision).toBe('DENY');
    const hem = (resolution: string, cls = 'HEM-HIGH-1') => ({ principal: agent, action: action('classify_gold'), resource: incident, context: { hem: { id: 'hem-1', class: cls, resolution, approver: 'duty-officer' } } });
    expect(engine.evaluate(hem('APPROVED'))).toEqual({ decision: 'PERMIT', policyIds: ['tier1-gold-with-human-approval'], errors: [] });
    for (const denied of [hem('PENDING'), hem('REJECTED'), hem('TIMEOUT_DENY'), hem('APPROVED', 'HEM-CONSENT')]) expect(engine.evaluate(denied).decision).toBe('DENY');
    expect(engine.active().hem).toEqual({ 'tier0b-no-auto-gold': 'HEM-HIGH-1' });
    expect(engine.active().capProfileId).toBe(DEFAULT_CAP_PROFILE.capProfileId);
    expect(engine.active().cedarPolicyHash).toMatch(/^[0-9a-f]{64}$/);
  });

  it('reads hierarchy from entities and applies template links', () => {
    const engine = KeePolicyEngine.load(wasm, {
      capProfileId: 'p',
      policies: '@id("t") permit (principal in ?principal, action, resource);',
      links: [{ templateId: 't', newId: 'responders', values: { '?principal': { type: 'Team', id: 'responders' } } }],
    });
    const request = { principal: agent, action: action('read'), resource: incident, context: {} };
    expect(engine.evaluate(request).decision).toBe('DENY');
    const entities = [{ uid: agent, attrs: {}, parents: [{ type: 'Team', id: 'responders' }] }];
    expect(engine.evaluate({ ...request, entities })).toEqual({ decision: 'PERMIT', policyIds: ['responders'], errors: [] });
    expect(engine.active().policyIds).toEqual(['responders']);
  });

  it('decides against the entities stored in WASM, which request entities replace or extend', () => {
    const engine = KeePolicyEngine.load(wasm, {
      capProfileId: 'p',
      policies: '@id("team") permit (principal in Team::"responders", action, resource) when { resource has severity && resource.severity <= 2 };',
    });
    const request = { principal: agent, action: action('read'), resource: incident, context: {} };
    const team = { type: 'Team', id: 'responders' };
    expect(engine.evaluateStored(request).decision).toBe('DENY');
    expect(engine.setEntities([{ uid: agent, attrs: {}, parents: [team] }, { uid: incident, attrs: { severity: 1 }, parents: [] }])).toBe(2);
    expect(engine.evaluateStored(request)).toEqual({ decision: 'PERMIT', policyIds: ['team'], errors: [] });
    // `evaluate` does not read the store.
    expect(engine.evaluate(request).decision).toBe('DENY');
    // Request entities replace the stored entity with the same uid, for that request only.
    expect(engine.evaluateStored({ ...request, entities: [{ uid: incident, attrs: { severity: 3 }, parents: [] }] }).decision).toBe('DENY');
    expect(engine.evaluateStored({ ...request, entities: [{ uid: agent, attrs: {}, parents: [] }] }).decision).toBe('DENY');
    expect(engine.evaluateStored(request).decision).toBe('PERMIT');
    // ... and extend the store.
    const other = { type: 'Agent', id: 'a2' };
    expect(engine.evaluateStored({ ...request, principal: other }).decision).toBe('DENY');
    expect(engine.evaluateStored({ ...request, principal: other, entities: [{ uid: other, attrs: {}, parents: [team] }] }).decision).toBe('PERMIT');
    // Entities Cedar refuses leave the store as it was.
    expect(() => engine.setEntities([{ uid: agent, attrs: {}, parents: [] }, { uid: agent, attrs: { x: 1 }, parents: [] }])).toThrow(DomainError);
    expect(() => engine.setEntities([{ uid: { type: 'not a type', id: 'x' }, attrs: {}, parents: [] }])).toThrow(/kee-policy: request is invalid/);
    expect(engine.evaluateStored(request).decision).toBe('PERMIT');
    expect(engine.setEntities([])).toBe(0);
    expect(engine.evaluateStored(request).decision).toBe('DENY');
  });

  it('checks stored entities against the schema', () => {
    const schema = 'entity Team; entity Agent in [Team]; entity Incident { severity: Long }; action read appliesTo { principal: [Agent], resource: [Incident] };';
    const engine = KeePolicyEngine.load(wasm, { capProfileId: 'p', schema, policies: '@id("sev") permit (principal, action == Action::"read", resource) when { resource.severity <= 2 };' });
    expect(() => engine.setEntities([{ uid: incident, attrs: { severity: 'high' }, parents: [] }])).toThrow(DomainError);
    // With a schema the store also holds the schema's action entities.
    expect(engine.setEntities([{ uid: agent, attrs: {}, parents: [] }, { uid: incident, attrs: { severity: 2 }, parents: [] }])).toBe(3);
    expect(engine.evaluateStored({ principal: agent, action: action('read'), resource: incident, context: {} })).toEqual({ decision: 'PERMIT', policyIds: ['sev'], errors: [] });
  });

  it('reports policy errors as Cedar does', () => {
    const engine = KeePolicyEngine.load(wasm, { capProfileId: 'p', policies: '@id("p") permit (principal, action, resource) when { context.missing };' });
    const answer = engine.evaluate({ principal: agent, action: action('read'), resource: incident, context: {} });
    expect(answer.decision).toBe('DENY');
    expect(answer.errors).toHaveLength(1);
    expect(answer.errors[0]).toMatch(/^policy `p`: /);
  });

  it('refuses a set that does not load', () => {
    expect(() => KeePolicyEngine.load(wasm, { capProfileId: 'p', policies: 'permit (principal, action, resource);' })).toThrow(DomainError);
    expect(() => KeePolicyEngine.load(wasm, { capProfileId: 'p', policies: '@id("a") permit (' })).toThrow(/does not parse/);
  });

  it('denies with a reason on a malformed request', () => {
    const engine = KeePolicyEngine.load(wasm, DEFAULT_CAP_PROFILE);
    const answer = engine.evaluate({ principal: { type: 'not a type', id: 'x' }, action: action('read'), resource: incident, context: {} });
    expect(answer.decision).toBe('DENY');
    expect(answer.errors[0]).toMatch(/^kee-policy: request is invalid/);
  });

  it('is fail-closed on a trap, and stays closed', () => {
    let calls = 0;
    const engine = KeePolicyEngine.load(
      fakeWasm(() => {
        calls++;
        throw new WebAssembly.RuntimeError('unreachable');
      }),
      DEFAULT_CAP_PROFILE,
    );
    const request = { principal: agent, action: action('read'), resource: incident, context: {} };
    expect(engine.evaluate(request)).toEqual({ decision: 'DENY', policyIds: [], errors: ['policy engine trapped: unreachable'] });
    expect(engine.evaluate(request).errors[0]).toMatch(/unavailable after a fault/);
    expect(calls).toBe(1);
  });

  it('denies a decision over its time budget', () => {
    let t = 0;
    const permit = () => ({ type: 'success' as const, value: { allow: true, reasons: ['p'], errors: [] } });
    const engine = KeePolicyEngine.load(fakeWasm(permit), DEFAULT_CAP_PROFILE, { budgetMs: 5, now: () => (t += 10) });
    const answer = engine.evaluate({ principal: agent, action: action('read'), resource: incident, context: {} });
    expect(answer.decision).toBe('DENY');
    expect(answer.errors[0]).toMatch(/over the 5 ms budget/);
  });

  it('is fail-closed when the store cannot be loaded after a trap', () => {
    const engine = KeePolicyEngine.load(
      fakeWasm(() => {
        throw new WebAssembly.RuntimeError('unreachable');
      }),
      DEFAULT_CAP_PROFILE,
    );
    const request = { principal: agent, action: action('read'), resource: incident, context: {} };
    expect(engine.evaluateStored(request).errors[0]).toBe('policy engine trapped: unreachable');
    expect(() => engine.setEntities([])).toThrow(/unavailable after a fault/);
    expect(engine.evaluate(request).decision).toBe('DENY');
  });

  it('warms up outside the time budget: the known request in a warm-up set loaded beside this one (once per WASM instance), then a probe of this set', () => {
    const calls: string[] = [];
    let loads = 0;
    const spy: KeeWasm = {
      ...wasm,
      loadPolicySet: (source) => {
        const label = ['set', 'warm-up set', 'second set', 'set with a schema', 'typed warm-up set'][loads++] ?? 'another set';
        const loaded = wasm.loadPolicySet(source);
        if (loaded.type === 'failure') return loaded;
        const real = loaded.value;
        calls.push(`load ${label}${JSON.parse(source).schema === WARM_UP_SCHEMA ? ' with the warm-up schema' : ''}`);
        const name = (json: string) =>
          json === JSON.stringify(WARM_UP_REQUEST) ? 'the typed warm-up request' : json === JSON.stringify(WARM_UP_REQUEST_UNTYPED) ? 'the warm-up request' : json === JSON.stringify(WARM_UP_PROBE) ? 'the probe' : 'a request';
        const set: WasmPolicySet = {
          evaluate: (json) => {
            calls.push(`${label} decides ${name(json)}`);
            return real.evaluate(json);
          },
          evaluateStored: (json) => real.evaluateStored(json),
          setEntities: (json) => real.setEntities(json),
          info: () => real.info(),
          free: () => {
            calls.push(`free ${label}`);
            real.free();
          },
        };
        return { type: 'success', value: set };
      },
    };
    let clockReads = 0;
    const engine = KeePolicyEngine.load(spy, DEFAULT_CAP_PROFILE, { budgetMs: 0, now: () => clockReads++ });
    engine.warm();
    // the next set's warm-up decides the known request again, in the warm-up set already loaded
    KeePolicyEngine.load(spy, DEFAULT_CAP_PROFILE, { budgetMs: 0, now: () => clockReads++ }).warm();
    // a set with a schema reads typed requests: its warm-up loads the warm-up set with the warm-up schema
    const schema = 'entity Team; entity Agent in [Team]; entity Incident { severity: Long }; action read appliesTo { principal: [Agent], resource: [Incident] };';
    KeePolicyEngine.load(spy, { capProfileId: 'p', schema, policies: '@id("sev") permit (principal, action == Action::"read", resource) when { resource.severity <= 2 };' }, { budgetMs: 0, now: () => clockReads++ }).warm();
    expect(calls).toEqual([
      'load set',
      // the default profile has no schema: the warm-up set without one, the escaped JSON request
      'load warm-up set',
      'warm-up set decides the warm-up request',
      'warm-up set decides the warm-up request',
      'set decides the probe',
      'load second set',
      'warm-up set decides the warm-up request',
      'warm-up set decides the warm-up request',
      'second set decides the probe',
      'load set with a schema',
      'load typed warm-up set with the warm-up schema',
      'typed warm-up set decides the typed warm-up request',
      'typed warm-up set decides the typed warm-up request',
      'set with a schema decides the probe',
    ]);
    expect(clockReads).toBe(0);
  });

  it('fails its warm-up, and stays closed, when the engine answers the known request wrongly or traps', () => {
    const request = { principal: agent, action: action('read'), resource: incident, context: {} };
    const wrong = KeePolicyEngine.load(fakeWasm(() => ({ type: 'success', value: { allow: false, reasons: [], errors: [] } })), DEFAULT_CAP_PROFILE);
    expect(() => wrong.warm()).toThrow('policy engine failed its warm-up: kee-policy gave a wrong answer to the warm-up request: {"allow":false,"reasons":[],"errorIds":[]}');
    expect(wrong.evaluate(request).errors[0]).toMatch(/unavailable after a fault: failed its warm-up/);
    const trap = KeePolicyEngine.load(
      fakeWasm(() => {
        throw new WebAssembly.RuntimeError('unreachable');
      }),
      DEFAULT_CAP_PROFILE,
    );
    const err = (() => {
      try {
        trap.warm();
      } catch (e) {
        return e;
      }
    })();
    expect(err).toBeInstanceOf(DomainError);
    expect(err).toMatchObject({ code: 'UNAVAILABLE', message: 'policy engine failed its warm-up: unreachable' });
    expect(trap.evaluate(request).decision).toBe('DENY');
    // the real engine passes its own warm-up
    expect(() => KeePolicyEngine.load(wasm, DEFAULT_CAP_PROFILE).warm()).not.toThrow();
  });

  it('denies after dispose', () => {
    const engine = KeePolicyEngine.load(wasm, DEFAULT_CAP_PROFILE);
    engine.dispose();
    expect(engine.evaluate({ principal: agent, action: action('read'), resource: incident, context: {} }).decision).toBe('DENY');
  });
});
