import type { InspectedPolicy, PolicyInspection, PolicyInspector, ScopeConstraint } from '../../ports/cap-profile.ts';
import type { EntityRef } from '../../kernel/types.ts';
import type { KeeWasmCore } from '../wasm/load.ts';
import type { CedarApi } from './cedar-api.ts';

/** A policy set's static policies in Cedar's JSON form (EST) and its number of templates. */
type Parts = { type: 'success'; policies: Est[]; templates: number } | { type: 'failure'; message: string };

/**
 * Reads a CAP Profile's policies without activating them: each policy's annotations, effect and
 * scope come from its JSON/EST form; the Rust `kee-policy` engine loads the set and gives
 * `cedar_policy_hash`, so the hash checked is the engine's own (equal to the cedar-wasm
 * adapter's: see test/policy-differential.test.ts). Templates are refused: a CAP Profile holds
 * static policies only. Here cedar-wasm gives the ESTs.
 */
export function createPolicyInspector(cedar: CedarApi, wasm: KeeWasmCore): PolicyInspector {
  return inspectorOver(wasm, (policiesText) => {
    let parts;
    try {
      parts = cedar.policySetTextToParts(policiesText);
    } catch (e) {
      return { type: 'failure', message: `cedar trapped: ${e instanceof Error ? e.message : String(e)}` };
    }
    if (parts.type === 'failure') return { type: 'failure', message: parts.errors.map((e) => e.message).join('; ') };
    const policies: Est[] = [];
    for (const text of parts.policies) {
      const json = cedar.policyToJson(text);
      if (json.type === 'failure') return { type: 'failure', message: json.errors.map((e) => e.message).join('; ') };
      policies.push(json.json);
    }
    return { type: 'success', policies, templates: parts.policy_templates.length };
  });
}

/**
 * The same inspector without cedar-wasm: `kee-policy` gives the ESTs too (`policySetParts`, the
 * same `cedar-policy` crate and version as cedar-wasm), for builds that do not carry cedar-wasm
 * (the default Worker, docs/edge.md).
 */
export function createKeePolicyInspector(wasm: KeeWasmCore): PolicyInspector {
  return inspectorOver(wasm, (policiesText) => {
    let parts;
    try {
      parts = wasm.policySetParts(policiesText);
    } catch (e) {
      return { type: 'failure', message: `policy engine trapped: ${e instanceof Error ? e.message : String(e)}` };
    }
    if (parts.type === 'failure') return { type: 'failure', message: parts.error.message };
    const { policies, templates } = JSON.parse(parts.value) as { policies: Est[]; templates: number };
    return { type: 'success', policies, templates };
  });
}

function inspectorOver(wasm: KeeWasmCore, partsOf: (policiesText: string) => Parts): PolicyInspector {
  return {
    inspect(policiesText: string): PolicyInspection {
      const parts = partsOf(policiesText);
      if (parts.type === 'failure') return parts;
      if (parts.templates > 0) return { type: 'failure', message: 'templates are not allowed in a cap profile' };
      const policies = parts.policies.map(fromEst);
      let loaded;
      try {
        loaded = wasm.loadPolicySet(JSON.stringify({ policies: policiesText, links: [] }));
      } catch (e) {
        return { type: 'success', policies, cedarPolicyHash: null, engineError: `policy engine trapped: ${e instanceof Error ? e.message : String(e)}` };
      }
      if (loaded.type === 'failure') return { type: 'success', policies, cedarPolicyHash: null, engineError: loaded.error.message };
      try {
        return { type: 'success', policies, cedarPolicyHash: loaded.value.info().cedarPolicyHash };
      } finally {
        loaded.value.free();
      }
    },
  };
}

type Est = { effect?: unknown; annotations?: Record<string, string>; principal?: unknown; action?: unknown; resource?: unknown; conditions?: unknown };

function fromEst(est: Est): InspectedPolicy {
  const annotations = { ...(est.annotations ?? {}) };
  return {
    id: annotations.id ?? null,
    // anything but an explicit permit is treated as a forbid: the conservative reading
    effect: est.effect === 'permit' ? 'permit' : 'forbid',
    annotations,
    principal: scope(est.principal),
    action: scope(est.action),
    resource: scope(est.resource),
    conditions: Array.isArray(est.conditions) ? est.conditions.length : 0,
  };
}

/** Cedar EST scope → ScopeConstraint; unknown shapes (slots, future forms) become `any`. */
function scope(c: unknown): ScopeConstraint {
  const s = c as { op?: string; entity?: unknown; entities?: unknown; entity_type?: unknown; in?: { entity?: unknown } } | undefined;
  switch (s?.op) {
    case '==':
      return isEntity(s.entity) ? { kind: 'eq', entity: s.entity } : { kind: 'any' };
    case 'in':
      if (isEntity(s.entity)) return { kind: 'in', entities: [s.entity] };
      if (Array.isArray(s.entities) && s.entities.every(isEntity)) return { kind: 'in', entities: s.entities };
      return { kind: 'any' };
    case 'is':
      if (typeof s.entity_type !== 'string') return { kind: 'any' };
      return { kind: 'is', type: s.entity_type, in: isEntity(s.in?.entity) ? [s.in.entity] : [] };
    default:
      return { kind: 'any' };
  }
}

function isEntity(e: unknown): e is EntityRef {
  const x = e as { type?: unknown; id?: unknown } | null;
  return typeof x === 'object' && x !== null && typeof x.type === 'string' && typeof x.id === 'string';
}
