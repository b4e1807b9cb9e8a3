import { createHash } from 'node:crypto';
import canonicalize from 'canonicalize';
import { describe, expect, it } from 'vitest';
import { makeHarness } from '../../../test/support/harness.ts';
import { records } from '../../../test/support/policy-sets.ts';
import { MAX_ANCESTOR_LINKS, MAX_ENTITY_DEPTH } from '../entity-graph.ts';
import { MAX_ENTITIES, MAX_PARENTS } from '../schemas.ts';

const profile = {
  capProfileId: 'entities-test',
  policies: `
@id("responders-read") @tier("2")
permit (principal in Team::"responders", action == Action::"read", resource)
when { resource has sensitivity && resource.sensitivity < 3 };

@id("office-network") @tier("2")
permit (principal, action == Action::"sync", resource)
when { principal has ip && principal.ip.isInRange(ip("10.0.0.0/8")) };`,
};

const agent = { type: 'Agent', id: 'a1' };
const read = (entities?: unknown) => ({
  principal: agent,
  action: { type: 'Action', id: 'read' },
  resource: { type: 'Dataset', id: 'quake' },
  context: {},
  ...(entities === undefined ? {} : { entities }),
});
const inTeam = (sensitivity: number) => [
  { uid: agent, attrs: {}, parents: [{ type: 'Team', id: 'responders' }] },
  { uid: { type: 'Team', id: 'responders' }, attrs: {}, parents: [] },
  { uid: { type: 'Dataset', id: 'quake' }, attrs: { sensitivity }, parents: [] },
];

async function opened(engine: 'kee-policy' | 'cedar-wasm' = 'kee-policy') {
  const h = makeHarness({ profile, engine });
  const { json: s } = await h.call('POST', '/v1/sessions', { agent_id: 'a' });
  const authorize = (body: unknown) => h.call('POST', `/v1/sessions/${s.session_id}/authorize`, body);
  return { h, s, authorize };
}

describe('POST …/authorize with entities', () => {
  for (const engine of ['kee-policy', 'cedar-wasm'] as const) {
    it(`hierarchy, attributes and extension values reach the engine (${engine})`, async () => {
      const { authorize } = await opened(engine);
      expect((await authorize(read())).json.decision).toBe('DENY');
      expect((await authorize(read(inTeam(1)))).json).toMatchObject({ decision: 'PERMIT', policy_ids: ['responders-read'] });
      expect((await authorize(read(inTeam(5)))).json.decision).toBe('DENY');
      const sync = (ip: string) => ({
        principal: agent,
        action: { type: 'Action', id: 'sync' },
        resource: { type: 'Dataset', id: 'quake' },
        entities: [{ uid: agent, attrs: { ip: { __extn: { fn: 'ip', arg: ip } } }, parents: [] }],
      });
      expect((await authorize(sync('10.1.2.3'))).json.decision).toBe('PERMIT');
      expect((await authorize(sync('192.168.0.1'))).json.decision).toBe('DENY');
    });
  }

  it('attrs and parents default to empty', async () => {
    const { authorize } = await opened();
    const r = await authorize(read([{ uid: agent, parents: [{ type: 'Team', id: 'responders' }] }, { uid: { type: 'Dataset', id: 'quake' }, attrs: { sensitivity: 0 } }]));
    expect(r.json.decision).toBe('PERMIT');
  });

  it('subject_digest commits to the entities; the record counts them', async () => {
    const { h, s, authorize } = await opened();
    const a = await authorize(read(inTeam(1)));
    const b = await authorize(read(inTeam(2)));
    const c = await authorize(read());
    const recs = records(h, s.session_id);
    const digest = (v: unknown) => createHash('sha256').update(canonicalize(v) as string).digest('hex');
    const [ra, rb, rc] = [a, b, c].map((x) => recs[x.json.ale_seq - 1]!);
    expect(ra!.subject_digest).toBe(digest(read(inTeam(1))));
    expect(rb!.subject_digest).toBe(digest(read(inTeam(2))));
    expect(ra!.subject_digest).not.toBe(rb!.subject_digest);
    // without entities the digest is over the request as before
    expect(rc!.subject_digest).toBe(digest(read()));
    expect([ra!.entity_count, rc!.entity_count]).toEqual([3, undefined]);
  });

  it('refuses malformed or unbounded entities with 400 INVALID_INPUT (never a 500)', async () => {
    const { authorize } = await opened();
    const tiny = (i: number) => ({ uid: { type: 'T', id: String(i) } });
    const cases: [unknown, RegExp][] = [
      ['not a list', /`entities`/],
      [[{ attrs: {} }], /`entities\.0\.uid`/],
      [[{ uid: { type: '', id: 'x' } }], /`entities\.0\.uid\.type`/],
      [[{ uid: agent, parents: [{ type: 'Team' }] }], /`entities\.0\.parents\.0\.id`/],
      [[{ uid: agent, tags: {} }], /unrecognized key/],
      [[{ uid: agent }, { uid: { ...agent } }], /`entities\.1\.uid` entity agent::"a1" appears twice/],
      [Array.from({ length: MAX_ENTITIES + 1 }, (_, i) => tiny(i)), /`entities`/],
      [[{ uid: agent, parents: Array.from({ length: MAX_PARENTS + 1 }, (_, i) => ({ type: 'G', id: String(i) })) }], /`entities\.0\.parents`/],
    ];
    for (const [entities, detail] of cases) {
      const r = await authorize(read(entities));
      expect(r.status, JSON.stringify(entities).slice(0, 80)).toBe(400);
      expect(r.json.code).toBe('INVALID_INPUT');
      expect(r.json.detail).toMatch(detail);
    }
    expect((await authorize(read(Array.from({ length: MAX_ENTITIES }, (_, i) => tiny(i))))).status).toBe(200);
  });

  it('refuses bodies nested deeper than 64 levels with 400, in entities and in context', async () => {
    const { authorize } = await opened();
    const nest = (d: number): unknown => (d === 0 ? 1 : { x: nest(d - 1) });
    const deepEntity = await authorize(read([{ uid: agent, attrs: { a: nest(70) } }]));
    expect(deepEntity.status).toBe(400);
    expect(deepEntity.json.detail).toContain('nested deeper than 64 levels');
    // 64 KiB of brackets used to overflow the stack: a 500
    const hostile = JSON.stringify({ ...read(), context: { x: 'D' } }).replace('"D"', `${'['.repeat(30_000)}${']'.repeat(30_000)}`);
    const r = await authorize(hostile);
    expect(r.status).toBe(400);
    expect(r.json.code).toBe('INVALID_INPUT');
    expect((await authorize(read([{ uid: agent, attrs: { a: nest(40) } }]))).status).toBe(200);
  });
});

describe('entity hierarchy limits (issue 12: a 900-entity parent chain took 196–429 ms to evaluate)', () => {
  const g = (id: string) => ({ type: 'T', id });
  const chain = (n: number) => Array.from({ length: n }, (_, i) => ({ uid: g(`c${i}`), parents: i + 1 < n ? [g(`c${i + 1}`)] : [] }));
  const withChain = (entities: unknown[]) => ({ ...read(), principal: g('c0'), entities });

  it('refuses the 900-entity chain with 400 INVALID_INPUT naming the depth limit', async () => {
    const { authorize } = await opened();
    const r = await authorize(withChain(chain(900)));
    expect(r.status).toBe(400);
    expect(r.json).toMatchObject({ code: 'INVALID_INPUT', detail: expect.stringContaining(`entity hierarchy deeper than ${MAX_ENTITY_DEPTH} parent links`) });
  });

  it('accepts a chain at the depth limit and refuses one link more', async () => {
    const { authorize } = await opened();
    expect((await authorize(withChain(chain(MAX_ENTITY_DEPTH + 1)))).status).toBe(200);
    expect((await authorize(withChain(chain(MAX_ENTITY_DEPTH + 2)))).json.code).toBe('INVALID_INPUT');
  });

  it('accepts a hierarchy at the closure limit and refuses one link more', async () => {
    const { authorize } = await opened();
    // a chain of 25 (300 links) and 188 leaves under its bottom (25 ancestors each): 5,000 links
    expect(MAX_ANCESTOR_LINKS).toBe(5_000);
    const comb = [...chain(25), ...Array.from({ length: 188 }, (_, i) => ({ uid: g(`l${i}`), parents: [g('c0')] }))];
    expect((await authorize(withChain(comb))).status).toBe(200);
    const over = await authorize(withChain([...comb, { uid: g('x'), parents: [g('c24')] }]));
    expect(over.json).toMatchObject({ code: 'INVALID_INPUT', detail: expect.stringContaining(`entity hierarchy larger than ${MAX_ANCESTOR_LINKS} (entity, ancestor) links`) });
  });

  it('refuses a cycle in the hierarchy', async () => {
    const { authorize } = await opened();
    const r = await authorize(withChain([{ uid: g('c0'), parents: [g('c1')] }, { uid: g('c1'), parents: [g('c0')] }]));
    expect(r.json).toMatchObject({ code: 'INVALID_INPUT', detail: expect.stringContaining('entity hierarchy has a cycle') });
  });
});
