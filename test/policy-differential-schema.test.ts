import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { CedarApi } from '../src/adapters/cedar/cedar-api.ts';
import { CedarPolicyEngine } from '../src/adapters/cedar/policy-engine.ts';
import { KeePolicyEngine } from '../src/adapters/kee-policy/policy-engine.ts';
import { JsMerkle } from '../src/adapters/memory/js-merkle.ts';
import { policyEngineFactory } from '../src/entry/policy-engine.ts';
import type { AuthorizationRequest } from '../src/kernel/types.ts';
import type { PolicyEvaluation } from '../src/ports/policy.ts';
import { loadCedar } from './support/cedar.ts';
import { loadKeeWasm, wasmMerkle } from './support/wasm.ts';

/**
 * Differential test with schemas (issue 13): generated schemas (entity-typed, set, record and
 * extension-typed attributes, optional or required, `appliesTo` per action, an action
 * hierarchy), policy sets that validate against them, entities and contexts written in the
 * schema-typed form (no `__entity` / `__extn` escapes, or with them, at random) and requests,
 * some of which the schema refuses. Both serving engines, through their adapters
 * (`KeePolicyEngine`, `CedarPolicyEngine`), must give cedar-wasm's `isAuthorized` answer with
 * the schema: the decision, the determining policies, the erroring policies, or a refusal.
 */

type Uid = { type: string; id: string };
type Json = unknown;
type CedarAnswer =
  | { type: 'success'; response: { decision: 'allow' | 'deny'; diagnostics: { reason: string[]; errors: { policyId: string }[] } } }
  | { type: 'failure'; errors: { message: string }[] };
type CedarFull = CedarApi & { isAuthorized(call: unknown): CedarAnswer };

const uid = (type: string, id: string): Uid => ({ type, id });
const USERS = 5; // u4 is never in the entities
const GROUPS = 4;
const DOCS = 5; // d4 is never in the entities
const FOLDERS = 3;
const ACTIONS = 4;
const int = (n: number) => fc.integer({ min: 0, max: n - 1 });

/** Attribute types, as written in the schema, with a generator of values in the schema-typed form. */
type Kind = 'Long' | 'String' | 'Bool' | 'ipaddr' | 'decimal' | 'datetime' | 'User' | 'Set<String>' | 'Set<User>' | 'Profile' | 'Meta' | 'Rec';
const USER_ATTRS: Record<string, Kind> = { level: 'Long', ip: 'ipaddr', score: 'decimal', dept: 'String', manager: 'User', tags: 'Set<String>', profile: 'Profile', since: 'datetime' };
const DOC_ATTRS: Record<string, Kind> = { owner: 'User', readers: 'Set<User>', dept: 'String', meta: 'Meta', limit: 'decimal' };
const CONTEXT_ATTRS: Record<string, Kind> = { flag: 'Bool', src: 'ipaddr', amount: 'decimal', rec: 'Rec', tag: 'String', tags: 'Set<String>', n: 'Long', who: 'User', when: 'datetime' };

/** `Profile` is declared as a common type or written inline, at random; the others inline. */
const RECORDS: Record<string, string> = { Profile: '{ age: Long, home?: ipaddr }', Meta: '{ level: Long, origin?: ipaddr }', Rec: '{ depth: Long }' };

type Presence = 'absent' | 'optional' | 'required';
const presence = fc.constantFrom<Presence>('absent', 'optional', 'optional', 'required', 'required');
const presences = (attrs: Record<string, Kind>) => fc.record(Object.fromEntries(Object.keys(attrs).map((k) => [k, presence])) as Record<string, fc.Arbitrary<Presence>>);

const schemaSpec = fc.record({
  user: presences(USER_ATTRS),
  doc: presences(DOC_ATTRS),
  context: presences(CONTEXT_ATTRS),
  commonProfile: fc.boolean(),
  actions: fc.array(
    fc.record({ group: fc.integer({ min: 0, max: 2 }), principals: fc.constantFrom<string[]>(['User'], ['User', 'Group'], ['User', 'Group'], ['Group']), resources: fc.constantFrom<string[]>(['Doc'], ['Doc', 'Folder'], ['Doc', 'Folder'], ['Folder']) }),
    { minLength: ACTIONS, maxLength: ACTIONS },
  ),
});
type SchemaSpec = typeof schemaSpec extends fc.Arbitrary<infer T> ? T : never;

function attrDecls(attrs: Record<string, Kind>, p: Record<string, Presence>, common: boolean): string {
  const type = (k: Kind) => (k in RECORDS && !(k === 'Profile' && common) ? RECORDS[k] : k);
  return Object.entries(attrs)
    .filter(([name]) => p[name] !== 'absent')
    .map(([name, kind]) => `${name}${p[name] === 'optional' ? '?' : ''}: ${type(kind)}`)
    .join(', ');
}

function schemaText(s: SchemaSpec): string {
  const lines = [
    ...(s.commonProfile ? [`type Profile = ${RECORDS.Profile};`] : []),
    'entity Group in [Group];',
    `entity User in [Group] { ${attrDecls(USER_ATTRS, s.user, s.commonProfile)} };`,
    'entity Folder in [Folder];',
    `entity Doc in [Folder] { ${attrDecls(DOC_ATTRS, s.doc, s.commonProfile)} };`,
    'action "ag0", "ag1";',
    ...s.actions.map(
      (a, i) =>
        `action "a${i}"${a.group < 2 ? ` in ["ag${a.group}"]` : ''} appliesTo { principal: [${a.principals.join(', ')}], resource: [${a.resources.join(', ')}], context: { ${attrDecls(CONTEXT_ATTRS, s.context, s.commonProfile)} } };`,
    ),
  ];
  return lines.join('\n');
}

const principalScope = fc.oneof(
  { weight: 4, arbitrary: fc.constant('principal') },
  int(USERS).map((i) => `principal == User::"u${i}"`),
  int(GROUPS).map((i) => `principal in Group::"g${i}"`),
  fc.constant('principal is User'),
  fc.constant('principal is Group'),
  int(GROUPS).map((i) => `principal is User in Group::"g${i}"`),
);
const actionScope = fc.oneof(
  { weight: 3, arbitrary: fc.constant('action') },
  int(ACTIONS).map((i) => `action == Action::"a${i}"`),
  int(2).map((i) => `action in Action::"ag${i}"`),
  fc.tuple(int(ACTIONS), int(2)).map(([i, j]) => `action in [Action::"a${i}", Action::"ag${j}"]`),
);
const resourceScope = fc.oneof(
  { weight: 4, arbitrary: fc.constant('resource') },
  int(DOCS).map((i) => `resource == Doc::"d${i}"`),
  int(FOLDERS).map((i) => `resource in Folder::"f${i}"`),
  fc.constant('resource is Doc'),
  int(FOLDERS).map((i) => `resource is Doc in Folder::"f${i}"`),
);

/** Conditions over the typed attributes: unguarded ones validate only where the schema makes them well-typed. */
const condition = fc.oneof(
  fc.constant('principal == resource.owner'),
  fc.constant('resource is Doc && resource.owner == principal'),
  fc.constant('resource has owner && resource.owner == principal'),
  fc.constant('principal is User && resource has owner && principal in resource.owner'),
  fc.constant('resource has readers && principal is User && resource.readers.contains(principal)'),
  fc.constant('resource has owner && resource.owner.level > 1'),
  fc.constant('principal has manager && resource has owner && principal.manager == resource.owner'),
  int(GROUPS).map((g) => `principal has manager && principal.manager in Group::"g${g}"`),
  fc.constant('principal.level > 2'),
  fc.constant('principal has level && principal.level >= 3'),
  fc.constant('principal is User && principal.ip.isInRange(ip("10.0.0.0/8"))'),
  fc.constant('principal has ip && principal.ip.isLoopback()'),
  fc.constant('principal has score && principal.score.greaterThan(decimal("1.5"))'),
  fc.constant('principal has tags && context has tags && principal.tags.containsAny(context.tags)'),
  fc.constant('principal has tags && principal.tags.contains("x")'),
  fc.constant('principal has profile && principal.profile.age >= 18'),
  fc.constant('principal has profile && principal.profile has home && principal.profile.home.isInRange(ip("192.168.0.0/16"))'),
  fc.constant('principal has since && principal.since < datetime("2025-01-01")'),
  fc.constant('resource has meta && resource.meta.level < 3'),
  fc.constant('resource has meta && resource.meta has origin && resource.meta.origin.isLoopback()'),
  fc.constant('resource has limit && context has amount && context.amount.lessThanOrEqual(resource.limit)'),
  fc.constant('principal has dept && resource has dept && principal.dept == resource.dept'),
  fc.constant('context.flag'),
  fc.constant('context has flag && context.flag'),
  fc.constant('context has src && context.src.isInRange(ip("192.168.0.0/16"))'),
  fc.constant('context.amount.lessThanOrEqual(decimal("10.25"))'),
  fc.constant('context has rec && context.rec.depth < 3'),
  fc.constant('context has who && context.who == principal'),
  int(GROUPS).map((g) => `context has who && context.who in Group::"g${g}"`),
  fc.constant('context has when && context.when > datetime("2024-03-01")'),
  fc.constant('context has tag && ["a", "b"].contains(context.tag)'),
  fc.constant('context has n && context.n * 4611686018427387904 > 0'),
  fc.constant('context has n && context.n + 9223372036854775807 > 0'),
  fc.constant('principal has level && principal.level * 4611686018427387904 > 1'),
  fc.constant('principal is User && principal.level > 0'),
  fc.constant('resource is Doc && resource.dept == "ops"'),
  int(GROUPS).map((g) => `principal in Group::"g${g}"`),
  int(FOLDERS).map((f) => `resource in Folder::"f${f}"`),
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

/** Values in the schema-typed form; `escaped` writes entities and extension values with `__entity` / `__extn`. */
function valueOf(kind: Kind, escaped: boolean): fc.Arbitrary<Json> {
  const user = int(USERS).map((i) => (escaped ? { __entity: uid('User', `u${i}`) } : uid('User', `u${i}`)));
  const extn = (fn: string, args: string[]) => fc.constantFrom(...args).map((arg) => (escaped ? { __extn: { fn, arg } } : arg));
  const ipv = extn('ip', ['10.1.2.3', '127.0.0.1', '192.168.1.9', '::1']);
  switch (kind) {
    case 'Long':
      return fc.integer({ min: -1, max: 5 });
    case 'String':
      return fc.constantFrom('ops', 'legal', 'a', 'c');
    case 'Bool':
      return fc.boolean();
    case 'ipaddr':
      return ipv;
    case 'decimal':
      return extn('decimal', ['0.5', '1.5', '2.0001', '-3.25', '10.25', '10.2501']);
    case 'datetime':
      return extn('datetime', ['2024-01-01', '2024-06-01T12:00:00Z', '2026-01-01']);
    case 'User':
      return user;
    case 'Set<String>':
      return fc.uniqueArray(fc.constantFrom('x', 'y', 'z'), { maxLength: 2 });
    case 'Set<User>':
      return fc.uniqueArray(int(USERS), { maxLength: 3 }).map((ids) => ids.map((i) => (escaped ? { __entity: uid('User', `u${i}`) } : uid('User', `u${i}`))));
    case 'Profile':
      return fc.record({ age: fc.integer({ min: 10, max: 30 }), home: ipv }, { requiredKeys: ['age'] });
    case 'Meta':
      return fc.record({ level: fc.integer({ min: 0, max: 5 }), origin: ipv }, { requiredKeys: ['level'] });
    case 'Rec':
      return fc.record({ depth: fc.integer({ min: 0, max: 4 }) });
  }
}

/** A record of the declared attributes: required ones always, optional ones at random. */
function recordOf(attrs: Record<string, Kind>, p: Record<string, Presence>, escaped: boolean): fc.Arbitrary<Record<string, Json>> {
  const declared = Object.entries(attrs).filter(([name]) => p[name] !== 'absent');
  const model = Object.fromEntries(declared.map(([name, kind]) => [name, valueOf(kind, escaped)]));
  return fc.record(model, { requiredKeys: declared.filter(([name]) => p[name] === 'required').map(([name]) => name) }) as fc.Arbitrary<Record<string, Json>>;
}

/** How a request may break the schema (each is refused by Cedar, so by both engines). */
const BREAKS = ['none', 'wrong-type', 'undeclared-attr', 'unknown-entity-type', 'missing-required', 'context-wrong-type', 'context-undeclared'] as const;
type Break = (typeof BREAKS)[number];

function world(s: SchemaSpec) {
  const escaped = fc.boolean();
  const entities = fc
    .record({
      users: fc.array(fc.tuple(fc.array(fc.boolean(), { minLength: GROUPS, maxLength: GROUPS }), escaped.chain((e) => recordOf(USER_ATTRS, s.user, e))), { minLength: USERS - 1, maxLength: USERS - 1 }),
      groupEdges: fc.array(fc.boolean(), { minLength: GROUPS * GROUPS, maxLength: GROUPS * GROUPS }),
      docs: fc.array(fc.tuple(fc.integer({ min: 0, max: FOLDERS }), escaped.chain((e) => recordOf(DOC_ATTRS, s.doc, e))), { minLength: DOCS - 1, maxLength: DOCS - 1 }),
    })
    .map(({ users, groupEdges, docs }) => {
      const out: { uid: Uid; attrs: Record<string, Json>; parents: Uid[] }[] = [];
      users.forEach(([groups, attrs], i) => out.push({ uid: uid('User', `u${i}`), attrs, parents: groups.flatMap((b, g) => (b ? [uid('Group', `g${g}`)] : [])) }));
      for (let g = 0; g < GROUPS; g++) {
        const parents = [];
        for (let h = g + 1; h < GROUPS; h++) if (groupEdges[g * GROUPS + h]) parents.push(uid('Group', `g${h}`));
        out.push({ uid: uid('Group', `g${g}`), attrs: {}, parents });
      }
      docs.forEach(([folder, attrs], i) => out.push({ uid: uid('Doc', `d${i}`), attrs, parents: folder < FOLDERS ? [uid('Folder', `f${folder}`)] : [] }));
      for (let f = 0; f < FOLDERS; f++) out.push({ uid: uid('Folder', `f${f}`), attrs: {}, parents: f + 1 < FOLDERS ? [uid('Folder', `f${f + 1}`)] : [] });
      return out;
    });
  const request = fc.record({
    principal: fc.oneof({ weight: 4, arbitrary: int(USERS).map((i) => uid('User', `u${i}`)) }, { weight: 1, arbitrary: int(GROUPS).map((i) => uid('Group', `g${i}`)) }),
    action: fc.oneof({ weight: 12, arbitrary: int(ACTIONS).map((i) => uid('Action', `a${i}`)) }, { weight: 1, arbitrary: int(2).map((i) => uid('Action', `ag${i}`)) }),
    resource: fc.oneof({ weight: 4, arbitrary: int(DOCS).map((i) => uid('Doc', `d${i}`)) }, { weight: 1, arbitrary: int(FOLDERS).map((i) => uid('Folder', `f${i}`)) }),
    context: escaped.chain((e) => recordOf(CONTEXT_ATTRS, s.context, e)),
    break: fc.oneof({ weight: 20, arbitrary: fc.constant<Break>('none') }, { weight: 3, arbitrary: fc.constantFrom(...BREAKS) }),
    /** Most requests name a principal and a resource of the types the action applies to. */
    applies: fc.integer({ min: 0, max: 9 }).map((x) => x < 8),
  });
  return fc.record({ policies: fc.array(policyText, { minLength: 8, maxLength: 30, size: 'max' }), entities, requests: fc.array(request, { minLength: 15, maxLength: 30 }) });
}

type Entity = { uid: Uid; attrs: Record<string, Json>; parents: Uid[] };

/** The entities and context of a request that breaks the schema as `b` says; unchanged if the schema leaves nothing to break. */
function broken(b: Break, s: SchemaSpec, entities: Entity[], context: Record<string, Json>): { entities: Entity[]; context: Record<string, Json> } {
  const users = entities.map((e) => (e.uid.type === 'User' && e.uid.id === 'u0' ? { ...e, attrs: { ...e.attrs } } : e));
  const u0 = users.find((e) => e.uid.type === 'User' && e.uid.id === 'u0')!;
  const declared = (p: Record<string, Presence>, name: string) => p[name] !== 'absent';
  switch (b) {
    case 'none':
      return { entities, context };
    case 'wrong-type':
      if (declared(s.user, 'level')) u0.attrs.level = 'high';
      else if (declared(s.user, 'dept')) u0.attrs.dept = 7;
      else u0.attrs.bogus = 1;
      return { entities: users, context };
    case 'undeclared-attr':
      u0.attrs.bogus = true;
      return { entities: users, context };
    case 'unknown-entity-type':
      return { entities: [...entities, { uid: uid('Robot', 'r'), attrs: {}, parents: [] }], context };
    case 'missing-required': {
      const required = Object.keys(USER_ATTRS).find((k) => s.user[k] === 'required');
      if (required === undefined) u0.attrs.bogus = 'x';
      else delete u0.attrs[required];
      return { entities: users, context };
    }
    case 'context-wrong-type':
      return { entities, context: { ...context, n: 'many' } };
    case 'context-undeclared':
      return { entities, context: { ...context, bogus: 1 } };
  }
}

/** The request's principal and resource, moved to a type its action applies to (when they are not). */
function applicable(s: SchemaSpec, r: { principal: Uid; action: Uid; resource: Uid }): { principal: Uid; resource: Uid } {
  const a = s.actions[Number(r.action.id.slice(1))];
  if (!r.action.id.startsWith('a') || r.action.id.startsWith('ag') || a === undefined) return r;
  const index = Number(r.principal.id.slice(1)) + Number(r.resource.id.slice(1));
  const principal = a.principals.includes(r.principal.type) ? r.principal : uid(a.principals[0]!, `${a.principals[0] === 'User' ? 'u' : 'g'}${index % (a.principals[0] === 'User' ? USERS : GROUPS)}`);
  const resource = a.resources.includes(r.resource.type) ? r.resource : uid(a.resources[0]!, `${a.resources[0] === 'Doc' ? 'd' : 'f'}${index % (a.resources[0] === 'Doc' ? DOCS : FOLDERS)}`);
  return { principal, resource };
}

type Outcome = { ok: true; allow: boolean; reasons: string[]; errorIds: string[] } | { ok: false };

function reference(answer: CedarAnswer): Outcome {
  if (answer.type === 'failure') return { ok: false };
  const { decision, diagnostics } = answer.response;
  return { ok: true, allow: decision === 'allow', reasons: [...diagnostics.reason].sort(), errorIds: [...new Set(diagnostics.errors.map((e) => e.policyId))].sort() };
}

/** An adapter's evaluation as an outcome: errors not naming a policy are a refusal of the request. */
function adapter(e: PolicyEvaluation): Outcome {
  const ids = e.errors.map((m) => /^policy `([^`]+)`: /.exec(m)?.[1]);
  if (ids.some((id) => id === undefined)) return { ok: false };
  return { ok: true, allow: e.decision === 'PERMIT', reasons: [...e.policyIds].sort(), errorIds: [...new Set(ids as string[])].sort() };
}

const wasm = loadKeeWasm();
const cedar = loadCedar() as CedarFull;
const merkle = new JsMerkle();

describe('kee-policy and cedar-wasm agree with Cedar on sets with a schema', () => {
  it('on generated schemas, policy sets that validate, typed entities and requests', () => {
    const stats = { sets: 0, policies: 0, requests: 0, allow: 0, forbidden: 0, withErrors: 0, refused: 0, entityTyped: 0 };
    fc.assert(
      fc.property(schemaSpec.chain((s) => fc.tuple(fc.constant(s), world(s))), ([spec, w]) => {
        const schema = schemaText(spec);
        const all = Object.fromEntries(w.policies.map((p, i) => [`p${i}`, p]));
        const checked = cedar.validate({ schema, policies: { staticPolicies: all } });
        if (checked.type === 'failure') throw new Error(`generated schema does not parse: ${checked.errors.map((e) => e.message).join('; ')}\n${schema}`);
        const invalid = new Set(checked.validationErrors.map((e) => e.policyId));
        const staticPolicies = Object.fromEntries(Object.entries(all).filter(([id]) => !invalid.has(id)));
        const profile = { capProfileId: 'diff', schema, policies: Object.entries(staticPolicies).map(([id, p]) => `@id("${id}")\n${p}`).join('\n') };
        const kee = KeePolicyEngine.load(wasm, profile, { budgetMs: 60_000 });
        const ced = CedarPolicyEngine.load(cedar, profile, merkle);
        stats.sets++;
        stats.policies += Object.keys(staticPolicies).length;
        if (Object.values(staticPolicies).some((p) => /owner|readers|manager|who/.test(p))) stats.entityTyped++;
        try {
          expect(kee.setEntities(w.entities)).toBeGreaterThanOrEqual(w.entities.length);
          for (const r of w.requests) {
            const { entities, context } = broken(r.break, spec, w.entities, r.context);
            const { principal, resource } = r.applies ? applicable(spec, r) : r;
            const request = { principal, action: r.action, resource, context, entities } as AuthorizationRequest;
            const ref = reference(cedar.isAuthorized({ ...request, schema, validateRequest: true, policies: { staticPolicies } }));
            const what = JSON.stringify({ schema, policies: staticPolicies, request });
            expect(adapter(kee.evaluate(request)), `kee-policy: ${what}`).toEqual(ref);
            expect(adapter(ced.evaluate(request)), `cedar-wasm: ${what}`).toEqual(ref);
            if (entities === w.entities) {
              const { entities: _sent, ...bare } = request;
              expect(adapter(kee.evaluateStored(bare)), `kee-policy, stored entities: ${what}`).toEqual(ref);
            }
            stats.requests++;
            if (!ref.ok) stats.refused++;
            else if (ref.allow) stats.allow++;
            else if (ref.reasons.length > 0) stats.forbidden++;
            if (ref.ok && ref.errorIds.length > 0) stats.withErrors++;
          }
        } finally {
          kee.dispose();
        }
      }),
      { seed: 20261205, numRuns: 80 },
    );
    console.log(
      `policy differential (schemas): ${stats.requests} requests over ${stats.sets} sets (${stats.policies} policies that validate, ${stats.entityTyped} sets reading entity-typed attributes): ` +
        `${stats.allow} allow, ${stats.forbidden} denied by a forbid, ${stats.withErrors} with errors, ${stats.refused} refused`,
    );
    // The generators must exercise every outcome, or the comparison proves little.
    expect(stats.requests).toBeGreaterThan(1500);
    expect(stats.policies).toBeGreaterThan(stats.sets * 3);
    expect(stats.entityTyped).toBeGreaterThan(stats.sets / 2);
    expect(stats.allow).toBeGreaterThan(stats.requests / 20);
    expect(stats.forbidden).toBeGreaterThan(stats.requests / 40);
    expect(stats.withErrors).toBeGreaterThan(stats.requests / 40);
    expect(stats.refused).toBeGreaterThan(stats.requests / 20);
  }, 300_000);
});

describe('the issue 13 example, on both engines', () => {
  const schema = 'entity User; entity Doc {owner: User}; action "view" appliesTo {principal: User, resource: Doc};';
  const source = { capProfileId: 'owner', schema, policies: '@id("owner") permit(principal,action,resource) when {principal == resource.owner};' };
  const request = (principal: string) => ({
    principal: uid('User', principal),
    action: uid('Action', 'view'),
    resource: uid('Doc', 'd'),
    context: {},
    entities: [{ uid: uid('Doc', 'd'), attrs: { owner: uid('User', 'alice') }, parents: [] }],
  });
  const deps = { wasm, merkle: wasmMerkle(), cedar: () => cedar };

  for (const name of ['kee-policy', 'cedar-wasm'] as const) {
    it(`${name}: the owner is PERMITted, another user is not; the schema is used for every request`, () => {
      const engine = policyEngineFactory(name, deps).load(source);
      expect(engine.evaluate(request('alice'))).toEqual({ decision: 'PERMIT', policyIds: ['owner'], errors: [] });
      expect(engine.evaluate(request('bob'))).toEqual({ decision: 'DENY', policyIds: [], errors: [] });
      // the schema's `appliesTo` refuses a request it does not allow, with the reason
      const wrong = engine.evaluate({ ...request('alice'), principal: uid('Doc', 'd') });
      expect(wrong.decision).toBe('DENY');
      expect(wrong.errors.join()).toMatch(/principal type `Doc` is not valid for `Action::"view"`|not valid for/);
      // an attribute of the wrong type is refused, not read as something else
      const bad = engine.evaluate({ ...request('alice'), entities: [{ uid: uid('Doc', 'd'), attrs: { owner: 'alice' }, parents: [] }] });
      expect(bad.decision).toBe('DENY');
      expect(bad.errors.length).toBeGreaterThan(0);
      engine.dispose?.();
    });
  }

  it('both engines read extension-typed attributes and context written without `__extn`, and take a JSON schema', () => {
    const json = JSON.stringify({
      '': {
        entityTypes: { User: { shape: { type: 'Record', attributes: { addr: { type: 'Extension', name: 'ipaddr' }, limit: { type: 'Extension', name: 'decimal' } } } }, Doc: {} },
        actions: { view: { appliesTo: { principalTypes: ['User'], resourceTypes: ['Doc'], context: { type: 'Record', attributes: { amount: { type: 'Extension', name: 'decimal' } } } } } },
      },
    });
    const policies = '@id("lan") permit (principal, action, resource) when { principal.addr.isInRange(ip("10.0.0.0/8")) && context.amount.lessThan(principal.limit) };';
    for (const schemaText of [json, 'entity User { addr: ipaddr, limit: decimal }; entity Doc; action view appliesTo { principal: User, resource: Doc, context: { amount: decimal } };']) {
      for (const name of ['kee-policy', 'cedar-wasm'] as const) {
        const engine = policyEngineFactory(name, deps).load({ capProfileId: 'ext', schema: schemaText, policies });
        const ask = (addr: string, amount: string) =>
          engine.evaluate({ principal: uid('User', 'u'), action: uid('Action', 'view'), resource: uid('Doc', 'd'), context: { amount }, entities: [{ uid: uid('User', 'u'), attrs: { addr, limit: '5.0' }, parents: [] }] });
        expect(ask('10.2.3.4', '1.5'), name).toEqual({ decision: 'PERMIT', policyIds: ['lan'], errors: [] });
        expect(ask('192.168.0.1', '1.5'), name).toEqual({ decision: 'DENY', policyIds: [], errors: [] });
        expect(ask('10.2.3.4', '7.5'), name).toEqual({ decision: 'DENY', policyIds: [], errors: [] });
        engine.dispose?.();
      }
    }
  });
});
