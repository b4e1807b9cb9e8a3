import { describe, expect, it } from 'vitest';
import { loadCedar } from '../../../test/support/cedar.ts';
import { loadKeeWasm, wasmMerkle } from '../../../test/support/wasm.ts';
import { KeePolicyEngine } from '../kee-policy/policy-engine.ts';
import { DEFAULT_CAP_PROFILE } from './default-profile.ts';
import { CedarPolicyEngine } from './policy-engine.ts';
import { createKeePolicyInspector, createPolicyInspector } from './policy-inspector.ts';

// the cedar-wasm inspector (Node, Bun, Deno, the cedar Worker) and the one without cedar-wasm (the default Worker)
const inspectors = {
  'cedar-wasm': () => createPolicyInspector(loadCedar(), loadKeeWasm()),
  'kee-policy': () => createKeePolicyInspector(loadKeeWasm()),
};

describe('both inspectors read a set the same way', () => {
  it.each([
    DEFAULT_CAP_PROFILE.policies,
    `@id("z") forbid (principal, action, resource) unless { context.ok };\n@id("a") @tier("1") permit (principal in Group::"g", action, resource is Doc in Folder::"f");`,
    `@id("x") permit (principal, action in [Action::"a"], resource) when { ip("10.0.0.1").isIpv4() };`,
    'permit (principal, action, resource);',
    '@id("t") permit (principal == ?principal, action, resource);',
  ])('%#', (text) => {
    const a = inspectors['cedar-wasm']().inspect(text);
    const b = inspectors['kee-policy']().inspect(text);
    expect(b).toEqual(a);
  });

  it('both refuse text that does not parse', () => {
    expect(inspectors['kee-policy']().inspect('permit (principal,')).toMatchObject({ type: 'failure', message: expect.stringContaining('does not parse') });
    expect(inspectors['cedar-wasm']().inspect('permit (principal,').type).toBe('failure');
  });
});

describe.each(Object.entries(inspectors))('policy inspector over %s', (_, inspector) => {
  it('gives the same cedar_policy_hash as both serving engines', () => {
    const r = inspector().inspect(DEFAULT_CAP_PROFILE.policies);
    if (r.type !== 'success') throw new Error(r.message);
    expect(r.cedarPolicyHash).toBe(CedarPolicyEngine.load(loadCedar(), DEFAULT_CAP_PROFILE, wasmMerkle()).active().cedarPolicyHash);
    expect(r.cedarPolicyHash).toBe(KeePolicyEngine.load(loadKeeWasm(), DEFAULT_CAP_PROFILE).active().cedarPolicyHash);
    expect(r.policies.map((p) => [p.id, p.effect, p.annotations.tier])).toEqual([
      ['kee-default-read', 'permit', '2'],
      ['tier0b-no-auto-gold', 'forbid', '0-B'],
      ['tier1-gold-with-human-approval', 'permit', '1'],
    ]);
    expect(r.policies[1]!.annotations.authority_source_uri).toBe('https://elaws.e-gov.go.jp/document?lawid=336AC0000000223');
  });

  it('normalizes scopes from the Cedar JSON form', () => {
    const r = inspector().inspect(`@id("a") permit (principal is Agent in Group::"g", action in [Action::"r", Action::"w"], resource in Folder::"f") when { true };
@id("b") forbid (principal == User::"u", action == Action::"d", resource is Doc);
@id("c") permit (principal, action in Action::"grp", resource);`);
    if (r.type !== 'success') throw new Error(r.message);
    expect(r.policies.map(({ principal, action, resource, conditions }) => ({ principal, action, resource, conditions }))).toEqual([
      {
        principal: { kind: 'is', type: 'Agent', in: [{ type: 'Group', id: 'g' }] },
        action: { kind: 'in', entities: [{ type: 'Action', id: 'r' }, { type: 'Action', id: 'w' }] },
        resource: { kind: 'in', entities: [{ type: 'Folder', id: 'f' }] },
        conditions: 1,
      },
      { principal: { kind: 'eq', entity: { type: 'User', id: 'u' } }, action: { kind: 'eq', entity: { type: 'Action', id: 'd' } }, resource: { kind: 'is', type: 'Doc', in: [] }, conditions: 0 },
      { principal: { kind: 'any' }, action: { kind: 'in', entities: [{ type: 'Action', id: 'grp' }] }, resource: { kind: 'any' }, conditions: 0 },
    ]);
  });

  it('reports parse errors and templates as failures, a set the engine refuses without a hash', () => {
    expect(inspector().inspect('permit (principal,').type).toBe('failure');
    expect(inspector().inspect('@id("t") permit (principal == ?principal, action, resource);')).toEqual({ type: 'failure', message: 'templates are not allowed in a cap profile' });
    const noId = inspector().inspect('permit (principal, action, resource);');
    expect(noId).toMatchObject({ type: 'success', cedarPolicyHash: null, engineError: expect.stringContaining('@id') });
  });
});
