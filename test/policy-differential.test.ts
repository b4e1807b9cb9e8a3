import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { DEFAULT_CAP_PROFILE } from '../src/adapters/cedar/default-profile.ts';
import { CedarPolicyEngine } from '../src/adapters/cedar/policy-engine.ts';
import { KeePolicyEngine } from '../src/adapters/kee-policy/policy-engine.ts';
import { JsMerkle } from '../src/adapters/memory/js-merkle.ts';
import type { WasmDecision, WasmResult } from '../src/adapters/wasm/load.ts';
import { loadCedar } from './support/cedar.ts';
import { loadKeeWasm } from './support/wasm.ts';

/**
 * Differential test (issue 5): generated policy sets, entity hierarchies and requests go
 * through `kee-policy` (WASM) and through `@cedar-policy/cedar-wasm` `isAuthorized`; the
 * decision, the determining policies and the erroring policies must be identical. Sets with a
 * schema (both engines, through their adapters): test/policy-differential-schema.test.ts.
 */

type Uid = { type: string; id: string };
type CedarAnswer =
  | { type: 'success'; response: { decision: 'allow' | 'deny'; diagnostics: { reason: string[]; errors: { policyId: string }[] } } }
  | { type: 'failure'; errors: { message: string }[] };
type CedarFull = { isAuthorized(call: unknown): CedarAnswer };

const uid = (type: string, id: string): Uid => ({ type, id });
const ip = (arg: string) => ({ __extn: { fn: 'ip', arg } });
const decimal = (arg: string) => ({ __extn: { fn: 'decimal', arg } });
const datetime = (arg: string) => ({ __extn: { fn: 'datetime', arg } });

const USERS = 5; // u4 is never in the entities
const GROUPS = 4;
const DOCS = 5; // d4 is never in the entities
const FOLDERS = 3;
const ACTIONS = 4;
const ACTION_GROUPS = 2;

const int = (n: number) => fc.integer({ min: 0, max: n - 1 });

const principalScope = fc.oneof(
  fc.constant('principal'),
  int(USERS).map((i) => `principal == User::"u${i}"`),
  int(GROUPS).map((i) => `principal == Group::"g${i}"`),
  int(GROUPS).map((i) => `principal in Group::"g${i}"`),
  int(USERS).map((i) => `principal in User::"u${i}"`),
  fc.constant('principal is User'),
  fc.constant('principal is Group'),
  int(GROUPS).map((i) => `principal is User in Group::"g${i}"`),
);
const actionScope = fc.oneof(
  fc.constant('action'),
  int(ACTIONS).map((i) => `action == Action::"a${i}"`),
  int(ACTION_GROUPS).map((i) => `action in Action::"ag${i}"`),
  fc.tuple(int(ACTIONS), int(ACTION_GROUPS)).map(([i, j]) => `action in [Action::"a${i}", Action::"ag${j}"]`),
);
const resourceScope = fc.oneof(
  fc.constant('resource'),
  int(DOCS).map((i) => `resource == Doc::"d${i}"`),
  int(FOLDERS).map((i) => `resource in Folder::"f${i}"`),
  fc.constant('resource is Doc'),
  int(FOLDERS).map((i) => `resource is Doc in Folder::"f${i}"`),
);

/** Conditions: `has`, `in`, `is`, attributes that may be missing (errors), records, ip, decimal, datetime. */
const condition = fc.oneof(
  fc.constant('context.flag'),
  fc.constant('context has flag && context.flag'),
  fc.constant('principal.level > 2'),
  fc.constant('principal has level && principal.level >= 3'),
  fc.constant('principal.ip.isInRange(ip("10.0.0.0/8"))'),
  fc.constant('principal has ip && principal.ip.isLoopback()'),
  fc.constant('context has src && context.src.isInRange(ip("192.168.0.0/16"))'),
  fc.constant('principal has score && principal.score.greaterThan(decimal("1.5"))'),
  fc.constant('context.amount.lessThanOrEqual(decimal("10.25"))'),
  fc.constant('resource has owner && resource.owner == principal'),
  fc.constant('resource has readers && resource.readers.contains(principal)'),
  int(GROUPS).map((i) => `principal is User && principal in Group::"g${i}"`),
  int(FOLDERS).map((i) => `resource in Folder::"f${i}"`),
  fc.constant('resource is Doc'),
  fc.constant('context has rec && context.rec has depth && context.rec.depth < 3'),
  fc.constant('context.rec.depth > 1'),
  fc.constant('principal.dept == resource.dept'),
  fc.constant('["a", "b"].contains(context.tag)'),
  fc.constant('context has tags && context.tags.containsAny(["x", "y"])'),
  fc.constant('context has when && context.when > datetime("2024-03-01")'),
  fc.constant('context.n * 4611686018427387904 > 0'),
  fc.constant('principal in resource.owner'),
);

const policyText = fc
  .record({
    permit: fc.integer({ min: 0, max: 9 }).map((x) => x < 7),
    principal: principalScope,
    action: actionScope,
    resource: resourceScope,
    clauses: fc.array(fc.tuple(fc.boolean(), condition), { maxLength: 2 }),
  })
  .map(({ permit, principal, action, resource, clauses }) => {
    const body = clauses.map(([when, c]) => ` ${when ? 'when' : 'unless'} { ${c} }`).join('');
    return `${permit ? 'permit' : 'forbid'} (${principal}, ${action}, ${resource})${body};`;
  });

const TEMPLATES: Record<string, string> = {
  t0: 'permit (principal == ?principal, action in Action::"ag0", resource in ?resource) when { context has flag && context.flag };',
  t1: 'forbid (principal in ?principal, action, resource) unless { principal has level && principal.level > 1 };',
};
const link = fc.oneof(
  fc.tuple(int(USERS), int(FOLDERS)).map(([u, f]) => ({ templateId: 't0', values: { '?principal': uid('User', `u${u}`), '?resource': uid('Folder', `f${f}`) } })),
  int(GROUPS).map((g) => ({ templateId: 't1', values: { '?principal': uid('Group', `g${g}`) } })),
);

const optional = <T>(arb: fc.Arbitrary<T>) => fc.option(arb, { nil: undefined });
const withOptional = (entries: Record<string, unknown>) => Object.fromEntries(Object.entries(entries).filter(([, v]) => v !== undefined));

/** An entity store: users in groups, groups in higher groups, docs in folders, folders in higher folders, actions in groups. */
const entities = fc
  .record({
    users: fc.array(
      fc.record({
        groups: fc.array(fc.boolean(), { minLength: GROUPS, maxLength: GROUPS }),
        level: optional(fc.integer({ min: 0, max: 5 })),
        ip: optional(fc.constantFrom('10.1.2.3', '127.0.0.1', '192.168.1.9', '::1')),
        score: optional(fc.constantFrom('0.5', '1.5', '2.0001', '-3.25')),
        dept: optional(fc.constantFrom('ops', 'legal')),
      }),
      { minLength: USERS - 1, maxLength: USERS - 1 },
    ),
    groupEdges: fc.array(fc.boolean(), { minLength: GROUPS * GROUPS, maxLength: GROUPS * GROUPS }),
    docs: fc.array(
      fc.record({
        folder: fc.integer({ min: 0, max: FOLDERS }),
        owner: optional(int(USERS)),
        readers: optional(fc.array(int(GROUPS + USERS), { maxLength: 3 })),
        dept: optional(fc.constantFrom('ops', 'legal')),
      }),
      { minLength: DOCS - 1, maxLength: DOCS - 1 },
    ),
    actions: fc.array(fc.integer({ min: 0, max: ACTION_GROUPS }), { minLength: ACTIONS, maxLength: ACTIONS }),
  })
  .map(({ users, groupEdges, docs, actions }) => {
    const out: unknown[] = [];
    users.forEach((u, i) => {
      const parents = u.groups.flatMap((b, g) => (b ? [uid('Group', `g${g}`)] : []));
      const attrs = withOptional({ level: u.level, ip: u.ip && ip(u.ip), score: u.score && decimal(u.score), dept: u.dept });
      out.push({ uid: uid('User', `u${i}`), attrs, parents });
    });
    for (let g = 0; g < GROUPS; g++) {
      const parents = [];
      for (let h = g + 1; h < GROUPS; h++) if (groupEdges[g * GROUPS + h]) parents.push(uid('Group', `g${h}`));
      out.push({ uid: uid('Group', `g${g}`), attrs: {}, parents });
    }
    docs.forEach((d, i) => {
      const parents = d.folder < FOLDERS ? [uid('Folder', `f${d.folder}`)] : [];
      const reader = (r: number) => ({ __entity: r < GROUPS ? uid('Group', `g${r}`) : uid('User', `u${r - GROUPS}`) });
      const attrs = withOptional({
        owner: d.owner === undefined ? undefined : { __entity: uid('User', `u${d.owner}`) },
        readers: d.readers?.map(reader),
        dept: d.dept,
      });
      out.push({ uid: uid('Doc', `d${i}`), attrs, parents });
    });
    for (let f = 0; f < FOLDERS; f++) out.push({ uid: uid('Folder', `f${f}`), attrs: {}, parents: f + 1 < FOLDERS ? [uid('Folder', `f${f + 1}`)] : [] });
    actions.forEach((g, i) => out.push({ uid: uid('Action', `a${i}`), attrs: {}, parents: g < ACTION_GROUPS ? [uid('Action', `ag${g}`)] : [] }));
    return out;
  });

/**
 * Entities a request carries on top of the store: users (u4 is never stored) with other groups
 * and attributes, and groups with other parent groups (which changes the stored hierarchy).
 */
const extraEntities = fc.uniqueArray(
  fc.oneof(
    fc
      .record({ i: int(USERS), groups: fc.array(fc.boolean(), { minLength: GROUPS, maxLength: GROUPS }), level: optional(fc.integer({ min: 0, max: 5 })), dept: optional(fc.constantFrom('ops', 'legal')) })
      .map(({ i, groups, level, dept }) => ({ uid: uid('User', `u${i}`), attrs: withOptional({ level, dept }), parents: groups.flatMap((b, g) => (b ? [uid('Group', `g${g}`)] : [])) })),
    fc
      .record({ g: int(GROUPS), up: fc.array(fc.boolean(), { minLength: GROUPS, maxLength: GROUPS }) })
      .map(({ g, up }) => ({ uid: uid('Group', `g${g}`), attrs: {}, parents: up.flatMap((b, h) => (b && h > g ? [uid('Group', `g${h}`)] : [])) })),
  ),
  { selector: (e) => `${e.uid.type}::${e.uid.id}`, maxLength: 3 },
);

const context = fc
  .record({
    flag: optional(fc.boolean()),
    src: optional(fc.constantFrom('192.168.3.4', '10.0.0.1', 'fe80::1').map(ip)),
    amount: optional(fc.constantFrom('9.99', '10.25', '10.2501', '-1.0').map(decimal)),
    rec: optional(fc.record({ depth: fc.integer({ min: 0, max: 4 }) }, { requiredKeys: [] })),
    tag: optional(fc.constantFrom('a', 'b', 'c')),
    tags: optional(fc.array(fc.constantFrom('x', 'y', 'z'), { maxLength: 2 })),
    when: optional(fc.constantFrom('2024-01-01', '2024-06-01T12:00:00Z').map(datetime)),
    n: optional(fc.constantFrom(0, 1, 2, -1)),
  })
  .map(withOptional);

const request = fc.record({
  principal: fc.oneof(int(USERS).map((i) => uid('User', `u${i}`)), int(GROUPS).map((i) => uid('Group', `g${i}`))),
  action: fc.oneof(int(ACTIONS).map((i) => uid('Action', `a${i}`)), int(ACTION_GROUPS).map((i) => uid('Action', `ag${i}`))),
  resource: fc.oneof(int(DOCS).map((i) => uid('Doc', `d${i}`)), int(FOLDERS).map((i) => uid('Folder', `f${i}`))),
  context,
});

const world = fc.record({
  policies: fc.array(policyText, { maxLength: 30 }),
  links: fc.array(link, { maxLength: 4 }),
  entities,
  requests: fc.array(request, { minLength: 10, maxLength: 30 }),
});

const wasm = loadKeeWasm();
const cedar = loadCedar() as unknown as CedarFull;

type Outcome = { ok: true; allow: boolean; reasons: string[]; errorIds: string[] } | { ok: false };

function ours(result: WasmResult<WasmDecision>): Outcome {
  if (result.type === 'failure') return { ok: false };
  const { allow, reasons, errors } = result.value;
  return { ok: true, allow, reasons, errorIds: [...new Set(errors.map((e) => e.policyId))].sort() };
}

function theirs(answer: CedarAnswer): Outcome {
  if (answer.type === 'failure') return { ok: false };
  const { decision, diagnostics } = answer.response;
  return { ok: true, allow: decision === 'allow', reasons: [...diagnostics.reason].sort(), errorIds: [...new Set(diagnostics.errors.map((e) => e.policyId))].sort() };
}

describe('kee-policy agrees with cedar-wasm', () => {
  it('on generated policy sets, hierarchies and requests', () => {
    const stats = { requests: 0, allow: 0, withErrors: 0, forbidden: 0, sets: 0 };
    fc.assert(
      fc.property(world, (w) => {
        const staticPolicies = Object.fromEntries(w.policies.map((p, i) => [`p${i}`, p]));
        const templateLinks = w.links.map((l, i) => ({ ...l, newId: `link${i}` }));
        const text = [...Object.entries(staticPolicies), ...Object.entries(TEMPLATES)].map(([id, p]) => `@id("${id}")\n${p}`).join('\n');
        const loaded = wasm.loadPolicySet(JSON.stringify({ policies: text, links: templateLinks }));
        if (loaded.type === 'failure') throw new Error(loaded.error.message);
        const set = loaded.value;
        try {
          stats.sets++;
          for (const r of w.requests) {
            const call = { ...r, entities: w.entities };
            const mine = ours(set.evaluate(JSON.stringify(call)));
            const ref = theirs(cedar.isAuthorized({ ...call, policies: { staticPolicies, templates: TEMPLATES, templateLinks } }));
            expect(mine, JSON.stringify({ text, links: templateLinks, call })).toEqual(ref);
            stats.requests++;
            if (ref.ok && ref.allow) stats.allow++;
            if (ref.ok && ref.errorIds.length > 0) stats.withErrors++;
            if (ref.ok && !ref.allow && ref.reasons.length > 0) stats.forbidden++;
          }
        } finally {
          set.free();
        }
      }),
      { seed: 20260523, numRuns: 400 },
    );
    console.log(`policy differential: ${stats.requests} requests over ${stats.sets} sets: ${stats.allow} allow, ${stats.forbidden} denied by a forbid, ${stats.withErrors} with errors`);
    // The generators must exercise every outcome, or the comparison proves little.
    expect(stats.requests).toBeGreaterThan(5000);
    expect(stats.allow).toBeGreaterThan(stats.requests / 20);
    expect(stats.forbidden).toBeGreaterThan(stats.requests / 20);
    expect(stats.withErrors).toBeGreaterThan(stats.requests / 20);
  }, 300_000);

  it('with the entities stored in WASM, which request entities replace or extend', () => {
    const stats = { requests: 0, allow: 0, withErrors: 0, replaced: 0 };
    fc.assert(
      fc.property(world, fc.array(extraEntities, { minLength: 30, maxLength: 30 }), (w, extras) => {
        const staticPolicies = Object.fromEntries(w.policies.map((p, i) => [`p${i}`, p]));
        const templateLinks = w.links.map((l, i) => ({ ...l, newId: `link${i}` }));
        const text = [...Object.entries(staticPolicies), ...Object.entries(TEMPLATES)].map(([id, p]) => `@id("${id}")\n${p}`).join('\n');
        const loaded = wasm.loadPolicySet(JSON.stringify({ policies: text, links: templateLinks }));
        if (loaded.type === 'failure') throw new Error(loaded.error.message);
        const set = loaded.value;
        try {
          const stored = set.setEntities(JSON.stringify(w.entities));
          expect(stored).toEqual({ type: 'success', value: w.entities.length });
          const policies = { staticPolicies, templates: TEMPLATES, templateLinks };
          w.requests.forEach((r, i) => {
            // The store alone: the request carries no entities.
            const ref = theirs(cedar.isAuthorized({ ...r, entities: w.entities, policies }));
            expect(ours(set.evaluateStored(JSON.stringify(r))), JSON.stringify({ text, links: templateLinks, r })).toEqual(ref);
            // Request entities replace the stored ones with the same uid and extend the store.
            const extra = extras[i] ?? [];
            const key = (e: unknown) => JSON.stringify((e as { uid: Uid }).uid);
            const replaced = new Set(extra.map(key));
            const merged = [...w.entities.filter((e) => !replaced.has(key(e))), ...extra];
            const refExtra = theirs(cedar.isAuthorized({ ...r, entities: merged, policies }));
            expect(ours(set.evaluateStored(JSON.stringify({ ...r, entities: extra }))), JSON.stringify({ text, links: templateLinks, r, extra })).toEqual(refExtra);
            stats.requests += 2;
            if (w.entities.some((e) => replaced.has(key(e)))) stats.replaced++;
            for (const x of [ref, refExtra]) {
              if (x.ok && x.allow) stats.allow++;
              if (x.ok && x.errorIds.length > 0) stats.withErrors++;
            }
          });
          // The store is unchanged by the requests that extended it.
          for (const r of w.requests.slice(0, 3)) {
            expect(ours(set.evaluateStored(JSON.stringify(r)))).toEqual(theirs(cedar.isAuthorized({ ...r, entities: w.entities, policies })));
          }
        } finally {
          set.free();
        }
      }),
      { seed: 20261122, numRuns: 200 },
    );
    console.log(`policy differential (stored entities): ${stats.requests} requests, ${stats.replaced} replacing stored entities: ${stats.allow} allow, ${stats.withErrors} with errors`);
    expect(stats.requests).toBeGreaterThan(5000);
    expect(stats.replaced).toBeGreaterThan(stats.requests / 10);
    expect(stats.allow).toBeGreaterThan(stats.requests / 20);
    expect(stats.withErrors).toBeGreaterThan(stats.requests / 40);
  }, 300_000);

  it('with entities sent as most requests send them: the principal and the resource, their groups and folders not sent', () => {
    // Each request carries its principal and resource (parents that are not themselves sent:
    // the closure is the parents), sometimes one of their groups or folders too (then it is
    // computed), and a store-less `evaluate` and an `evaluateStored` over the world's entities
    // (which these entities replace or extend: new users and docs only add to it) must both
    // decide as cedar-wasm on the same entities.
    const own = fc.record({
      user: int(USERS + 2),
      groups: fc.array(fc.boolean(), { minLength: GROUPS, maxLength: GROUPS }),
      level: optional(fc.integer({ min: 0, max: 5 })),
      ip: optional(fc.constantFrom('10.1.2.3', '127.0.0.1', '::1')),
      score: optional(fc.constantFrom('0.5', '2.0001')),
      doc: int(DOCS + 2),
      folder: int(FOLDERS + 1),
      owner: optional(int(USERS + 2)),
      readers: optional(fc.array(int(GROUPS + USERS), { maxLength: 2 })),
      group: optional(fc.tuple(int(GROUPS), int(GROUPS))),
    });
    const stats = { requests: 0, allow: 0, withErrors: 0, withGroup: 0 };
    fc.assert(
      fc.property(world, fc.array(own, { minLength: 30, maxLength: 30 }), (w, owns) => {
        const staticPolicies = Object.fromEntries(w.policies.map((p, i) => [`p${i}`, p]));
        const templateLinks = w.links.map((l, i) => ({ ...l, newId: `link${i}` }));
        const text = [...Object.entries(staticPolicies), ...Object.entries(TEMPLATES)].map(([id, p]) => `@id("${id}")\n${p}`).join('\n');
        const loaded = wasm.loadPolicySet(JSON.stringify({ policies: text, links: templateLinks }));
        if (loaded.type === 'failure') throw new Error(loaded.error.message);
        const set = loaded.value;
        try {
          expect(set.setEntities(JSON.stringify(w.entities))).toEqual({ type: 'success', value: w.entities.length });
          const policies = { staticPolicies, templates: TEMPLATES, templateLinks };
          w.requests.forEach((r, i) => {
            const o = owns[i]!;
            const principal = uid('User', `u${o.user}`);
            const resource = uid('Doc', `d${o.doc}`);
            const sent: { uid: Uid; attrs: Record<string, unknown>; parents: Uid[] }[] = [
              { uid: principal, attrs: withOptional({ level: o.level, ip: o.ip && ip(o.ip), score: o.score && decimal(o.score) }), parents: o.groups.flatMap((b, g) => (b ? [uid('Group', `g${g}`)] : [])) },
              {
                uid: resource,
                attrs: withOptional({
                  owner: o.owner === undefined ? undefined : { __entity: uid('User', `u${o.owner}`) },
                  readers: o.readers?.map((x) => ({ __entity: x < GROUPS ? uid('Group', `g${x}`) : uid('User', `u${x - GROUPS}`) })),
                }),
                parents: o.folder < FOLDERS ? [uid('Folder', `f${o.folder}`)] : [],
              },
            ];
            if (o.group) {
              const [g, h] = o.group;
              sent.push({ uid: uid('Group', `g${g}`), attrs: {}, parents: h > g ? [uid('Group', `g${h}`)] : [] });
              stats.withGroup++;
            }
            const call = { ...r, principal, resource, entities: sent };
            const ref = theirs(cedar.isAuthorized({ ...call, policies }));
            expect(ours(set.evaluate(JSON.stringify(call))), JSON.stringify({ text, links: templateLinks, call })).toEqual(ref);
            const key = (e: unknown) => JSON.stringify((e as { uid: Uid }).uid);
            const replaced = new Set(sent.map(key));
            const merged = [...w.entities.filter((e) => !replaced.has(key(e))), ...sent];
            const refStored = theirs(cedar.isAuthorized({ ...call, entities: merged, policies }));
            expect(ours(set.evaluateStored(JSON.stringify(call))), JSON.stringify({ text, links: templateLinks, call })).toEqual(refStored);
            stats.requests += 2;
            for (const x of [ref, refStored]) {
              if (x.ok && x.allow) stats.allow++;
              if (x.ok && x.errorIds.length > 0) stats.withErrors++;
            }
          });
        } finally {
          set.free();
        }
      }),
      { seed: 20261206, numRuns: 120 },
    );
    console.log(`policy differential (request entities): ${stats.requests} requests, ${stats.withGroup} with a group sent: ${stats.allow} allow, ${stats.withErrors} with errors`);
    expect(stats.requests).toBeGreaterThan(2000);
    expect(stats.withGroup).toBeGreaterThan(stats.requests / 8);
    expect(stats.allow).toBeGreaterThan(stats.requests / 20);
    expect(stats.withErrors).toBeGreaterThan(stats.requests / 40);
  }, 300_000);

  it('refuses the same malformed requests', () => {
    const loaded = wasm.loadPolicySet(JSON.stringify({ policies: '@id("p") permit (principal, action, resource);' }));
    if (loaded.type === 'failure') throw new Error(loaded.error.message);
    const bad = [
      { principal: { type: 'User' }, action: uid('Action', 'a'), resource: uid('Doc', 'd'), context: {}, entities: [] },
      { principal: uid('User', 'u'), action: uid('Action', 'a'), resource: uid('Doc', 'd'), context: { x: { __extn: { fn: 'ip', arg: 'nope' } } }, entities: [] },
      { principal: uid('User', 'u'), action: uid('Action', 'a'), resource: uid('Doc', 'd'), context: {}, entities: [{ uid: uid('User', 'u'), attrs: {}, parents: [] }, { uid: uid('User', 'u'), attrs: {}, parents: [] }] },
      { principal: uid('User', 'u'), action: uid('Action', 'a'), resource: uid('Doc', 'd'), context: {}, entities: [{ uid: uid('User', 'u'), attrs: {}, parents: [] }, { uid: uid('User', 'u'), attrs: { x: 1 }, parents: [] }] },
      { principal: uid('User name', 'u'), action: uid('Action', 'a'), resource: uid('Doc', 'd'), context: {}, entities: [] },
      // A context that is an escape, not a record; an attribute named like an escape.
      { principal: uid('User', 'u'), action: uid('Action', 'a'), resource: uid('Doc', 'd'), context: { __extn: { fn: 'ip', arg: '10.1.2.3' } }, entities: [] },
      { principal: uid('User', 'u'), action: uid('Action', 'a'), resource: uid('Doc', 'd'), context: {}, entities: [{ uid: uid('User', 'u'), attrs: { __extn: { fn: 'ip', arg: '10.1.2.3' } }, parents: [] }] },
      // Entities: a cycle, an entity its own parent, a bad extension value, a bad parent, a missing field.
      { principal: uid('User', 'u'), action: uid('Action', 'a'), resource: uid('Doc', 'd'), context: {}, entities: [{ uid: uid('G', 'a'), attrs: {}, parents: [uid('G', 'b')] }, { uid: uid('G', 'b'), attrs: {}, parents: [uid('G', 'a')] }] },
      { principal: uid('User', 'u'), action: uid('Action', 'a'), resource: uid('Doc', 'd'), context: {}, entities: [{ uid: uid('G', 'a'), attrs: {}, parents: [uid('G', 'a')] }] },
      { principal: uid('User', 'u'), action: uid('Action', 'a'), resource: uid('Doc', 'd'), context: {}, entities: [{ uid: uid('User', 'u'), attrs: { src: { __extn: { fn: 'ip', arg: 'nope' } } }, parents: [] }] },
      { principal: uid('User', 'u'), action: uid('Action', 'a'), resource: uid('Doc', 'd'), context: {}, entities: [{ uid: uid('User', 'u'), attrs: {}, parents: [{ type: 'G' }] }] },
      { principal: uid('User', 'u'), action: uid('Action', 'a'), resource: uid('Doc', 'd'), context: {}, entities: [{ uid: uid('User', 'u'), parents: [] }] },
    ];
    for (const call of bad) {
      const mine = ours(loaded.value.evaluate(JSON.stringify(call)));
      const ref = theirs(cedar.isAuthorized({ ...call, policies: { staticPolicies: { p: 'permit (principal, action, resource);' } } }));
      expect(mine, JSON.stringify(call)).toEqual(ref);
      expect(ours(loaded.value.evaluateStored(JSON.stringify(call))), JSON.stringify(call)).toEqual(ref);
    }
    loaded.value.free();
  });
});

describe('cedar_policy_hash', () => {
  it('equals the cedar-wasm adapter hash for the same set, with the same tiers and `@hem` classes', () => {
    const sets = [DEFAULT_CAP_PROFILE.policies, fc.sample(fc.array(policyText, { minLength: 1, maxLength: 20 }), { seed: 5, numRuns: 1 })[0]!.map((p, i) => `@id("p${i}") @tier("${i % 3}")${i % 4 === 0 ? ` @hem("HEM-T${i}")` : ''}\n${p}`).join('\n')];
    for (const policies of sets) {
      const profile = { capProfileId: 'x', policies };
      const reference = CedarPolicyEngine.load(loadCedar(), profile, new JsMerkle()).active();
      const mine = KeePolicyEngine.load(wasm, profile).active();
      expect(mine).toEqual(reference);
      expect(Object.keys(reference.hem ?? {}).length).toBeGreaterThan(0);
    }
  });
});
