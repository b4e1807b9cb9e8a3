import { beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_CAP_PROFILE } from '../../adapters/cedar/default-profile.ts';
import { DomainError } from '../../kernel/errors.ts';
import { MemoryStore } from '../../adapters/memory/store.ts';
import { agentRead, classifyGold, makeHarness } from '../../../test/support/harness.ts';
import { body, capProfileDeps, journal, makePublisher, makePublishers, POLICIES_V1, sign, type Publisher } from '../../../test/support/cap-profile.ts';

let pubs: Publisher[];
beforeAll(async () => {
  pubs = await makePublishers(3);
});

const WRITE_POLICIES = `${POLICIES_V1}
@id("t2-write")
@tier("2")
@cap_rrs_control_id("ops:write")
@authority_source_uri("https://elaws.e-gov.go.jp/document?lawid=415AC0000000057")
permit (principal is Agent, action == Action::"write", resource is Report);
`;
const write = { principal: { type: 'Agent', id: 'a' }, action: { type: 'Action', id: 'write' }, resource: { type: 'Report', id: 'r' }, context: {} };

async function session(h: ReturnType<typeof makeHarness>) {
  const { json } = await h.call('POST', '/v1/sessions', { agent_id: 'a' });
  return (req: unknown) => h.call('POST', `/v1/sessions/${json.session_id}/authorize`, req);
}

describe('PUT /v1/cap-profile', () => {
  it('activates an update signed by 2 of 3 publishers: later decisions use the new policies', async () => {
    // a government profile on this software-key (KEE1-L1) kernel: only under the development switch
    const h = makeHarness({ deps: { capProfile: capProfileDeps(pubs), options: { allowNonconformant: true } } });
    const authorize = await session(h);
    const before = await h.call('GET', '/v1/cap-profile');
    expect(before.json).toMatchObject({ cap_profile_id: DEFAULT_CAP_PROFILE.capProfileId, version: 0, signed: false, cap_profile_hash: null });
    expect((await authorize(write)).json.decision).toBe('DENY');

    const b = body({ profile_kind: 'government' }, WRITE_POLICIES);
    const res = await h.call('PUT', '/v1/cap-profile', await sign(b, [pubs[2]!, pubs[0]!]));
    expect(res.status).toBe(200);
    expect(res.json).toEqual({ cap_profile_id: 'test-profile', version: 1, cap_profile_hash: expect.stringMatching(/^[0-9a-f]{64}$/), cedar_policy_hash: b.cedar_policy_hash, activated_at: expect.any(String) });

    const after = await authorize(write);
    expect(after.json).toMatchObject({ decision: 'PERMIT', policy_ids: ['t2-write'], cedar_policy_hash: b.cedar_policy_hash });
    // the default profile's GOLD policy is gone
    expect((await authorize(classifyGold(true))).json.decision).toBe('DENY');
    const active = await h.call('GET', '/v1/cap-profile');
    expect(active.json).toMatchObject({ cap_profile_id: 'test-profile', version: 1, signed: true, cap_profile_hash: res.json.cap_profile_hash, profile_kind: 'government', policy_ids: ['t1-no-delete', 't2-read', 't2-write'] });
    expect(active.json.publishers).toEqual([pubs[0]!.kid, pubs[2]!.kid].sort());

    const events = await journal(h.store);
    const activated = events.filter((e) => e.ale_type === 'CAP_CATALOG_ACTIVATED');
    expect(activated).toHaveLength(1);
    expect(activated[0]).toMatchObject({ cap_profile_id: 'test-profile', cap_profile_version: 1, cap_profile_hash: res.json.cap_profile_hash, ale_number: 'ALE-DIST-04', profile_kind: 'government', publishers: [pubs[0]!.kid, pubs[2]!.kid].sort() });
    // new sessions open on the new profile
    const s2 = await h.call('POST', '/v1/sessions', { agent_id: 'b' });
    const rec = (await h.store.listRecords(s2.json.session_id)).map((r) => JSON.parse(r.canonical))[0];
    expect(rec).toMatchObject({ ale_type: 'SESSION_OPEN', cap_profile_id: 'test-profile', cedar_policy_hash: b.cedar_policy_hash });
  });

  it('refuses, records every refusal with its reason, and keeps the old set active', async () => {
    const h = makeHarness({ deps: { capProfile: capProfileDeps(pubs) } });
    const authorize = await session(h);
    const old = (await authorize(agentRead())).json;
    expect(old.decision).toBe('PERMIT');
    // activate version 1 first so rollback can be tried
    expect((await h.call('PUT', '/v1/cap-profile', await sign(body(), pubs))).status).toBe(200);
    const v1 = (await authorize(write)).json;
    expect(v1.decision).toBe('DENY');

    const stranger = await makePublisher();
    const next = { version: 2, catalog_version: { version_id: 'cat-2', supersedes: 'cat-1', published_by: 'x', published_at: '2026-02-01T00:00:00Z' } };
    const noUri = WRITE_POLICIES.replace(/@authority_source_uri\("[^"]*"\)\npermit \(principal is Agent, action == Action::"write"/, 'permit (principal is Agent, action == Action::"write"');
    const conflict = `${POLICIES_V1}\n@id("t2-any")\n@tier("2")\n@cap_rrs_control_id("x")\npermit (principal, action, resource);`;
    const cases: [string, unknown, number][] = [
      ['CAP_SIGNATURES_INSUFFICIENT', await sign(body(next, WRITE_POLICIES), [pubs[0]!]), 422],
      ['CAP_SIGNATURES_INSUFFICIENT', await sign(body(next, WRITE_POLICIES), [pubs[0]!, stranger]), 422],
      ['CAP_SIGNATURES_INSUFFICIENT', { not: 'a jws' }, 422],
      ['CAP_PROFILE_MALFORMED', await sign({ ...body(next, WRITE_POLICIES), version: -1 }, pubs), 422],
      ['CAP_POLICY_HASH_MISMATCH', await sign({ ...body(next, WRITE_POLICIES), cedar_policy_hash: '00'.repeat(32) }, pubs), 422],
      ['CAP_ROLLBACK', await sign(body({ ...next, version: 1 }, WRITE_POLICIES), pubs), 409],
      ['CAP_CATALOG_VERSION_CONFLICT', await sign(body({ ...next, catalog_version: { ...next.catalog_version, supersedes: 'cat-0' } }, WRITE_POLICIES), pubs), 409],
      ['CAP_CONFLICT', await sign(body(next, conflict), pubs), 409],
      ['CAP_AUTHORITY_SOURCE_MISSING', await sign(body({ ...next, profile_kind: 'government' }, noUri), pubs), 422],
    ];
    for (const [code, jws, status] of cases) {
      const res = await h.call('PUT', '/v1/cap-profile', jws);
      expect(res.status, code).toBe(status);
      expect(res.headers.get('content-type')).toBe('application/problem+json');
      expect(res.json.code).toBe(code);
      expect(res.text).not.toMatch(/\n\s+at /);
      // still version 1
      const again = (await authorize(write)).json;
      expect(again.decision).toBe('DENY');
      expect(again.cedar_policy_hash).toBe(v1.cedar_policy_hash);
    }
    const refusals = (await journal(h.store)).filter((e) => e.ale_type === 'CAP_PROFILE_REFUSED');
    expect(refusals.map((r) => r.code)).toEqual(cases.map(([code]) => code));
    for (const r of refusals) expect(r.reason).toMatch(/\S/);
    expect(refusals.find((r) => r.code === 'CAP_CONFLICT')).toMatchObject({ 'soos.cap.conflict_detected': true, spec_ale: 'ALE-NEW-02' });
    expect(refusals[1]!.detail.unknown_kids).toEqual([stranger.kid]);
    // the client gets the same facts as the record
    const again = await h.call('PUT', '/v1/cap-profile', cases[1]![1]);
    expect(again.json.facts).toEqual(refusals[1]!.detail);
    expect((await h.call('GET', '/v1/cap-profile')).json.version).toBe(1);
    // and a valid version 2 still goes through
    expect((await h.call('PUT', '/v1/cap-profile', await sign(body(next, WRITE_POLICIES), pubs))).status).toBe(200);
    expect((await authorize(write)).json.decision).toBe('PERMIT');
  });

  it('takes profiles above the 64 KiB request limit, and answers 503 where updates are not configured', async () => {
    const many = Array.from({ length: 600 }, (_, i) => `@id("p${i}")\n@tier("2")\n@cap_rrs_control_id("c${i}")\npermit (principal == Agent::"a${i}", action == Action::"read", resource);`).join('\n');
    const jws = await sign(body({}, many), pubs);
    expect(JSON.stringify(jws).length).toBeGreaterThan(64 * 1024);
    const h = makeHarness({ deps: { capProfile: capProfileDeps(pubs) } });
    expect((await h.call('PUT', '/v1/cap-profile', jws)).status).toBe(200);
    expect((await h.call('PUT', '/v1/cap-profile', 'x'.repeat(5 * 1024 * 1024))).json.code).toBe('PAYLOAD_TOO_LARGE');
    expect((await h.call('PUT', '/v1/cap-profile', '{"payload":', { 'content-type': 'application/json' })).json.code).toBe('MALFORMED_JSON');

    const bare = makeHarness();
    const res = await bare.call('PUT', '/v1/cap-profile', jws);
    expect(res.status).toBe(503);
    expect(res.json.code).toBe('UNAVAILABLE');
    expect((await bare.call('GET', '/v1/cap-profile')).json.version).toBe(0);
  });

  it('a set the serving engine refuses at activation is a recorded CAP_POLICY_INVALID refusal', async () => {
    const deps = capProfileDeps(pubs);
    const refusing = { load: () => { throw new DomainError('INVALID_INPUT', 'schema says no'); } };
    const h = makeHarness({ deps: { capProfile: deps, policyFactory: refusing } });
    const res = await h.call('PUT', '/v1/cap-profile', await sign(body(), pubs));
    expect(res.status).toBe(422);
    expect(res.json).toMatchObject({ code: 'CAP_POLICY_INVALID', detail: 'the serving policy engine refuses the set: schema says no' });
    const events = await journal(h.store);
    expect(events.map((e) => e.ale_type)).toEqual(['SESSION_OPEN', 'KERNEL_BOOT', 'KERNEL_AUDIT_ANOMALY']);
    expect(events[2]).toMatchObject({ event_type: 'POLICY_ACTIVATION_REJECTED', code: 'INVALID_INPUT', reason: 'schema says no' });
    expect((await h.call('GET', '/v1/cap-profile')).json.version).toBe(0);
  });

  it('concurrent updates: the active version is never lower than one that was accepted', async () => {
    const h = makeHarness({ deps: { capProfile: capProfileDeps(pubs) } });
    const cat = (n: number) => ({ version_id: `cat-${n}`, supersedes: null, published_by: 'x', published_at: '2026-02-01T00:00:00Z' });
    const updates = await Promise.all([3, 2, 4, 1].map(async (version) => ({ version, jws: await sign(body({ version, catalog_version: cat(version) }), pubs) })));
    const answers = await Promise.all(updates.map((u) => h.call('PUT', '/v1/cap-profile', u.jws)));
    const acceptedVersions = updates.filter((_, i) => answers[i]!.status === 200).map((u) => u.version);
    expect(acceptedVersions.length).toBeGreaterThan(0);
    for (const a of answers) if (a.status !== 200) expect(['CAP_ROLLBACK', 'CAP_CATALOG_VERSION_CONFLICT']).toContain(a.json.code);
    expect((await h.call('GET', '/v1/cap-profile')).json.version).toBe(Math.max(...acceptedVersions));
    const activated = (await journal(h.store)).filter((e) => e.ale_type === 'CAP_CATALOG_ACTIVATED').map((e) => e.cap_profile_version);
    // every accepted version was recorded as activated, in increasing order
    expect(activated).toEqual(expect.arrayContaining(acceptedVersions));
    expect(activated).toEqual(activated.slice().sort());
  });
});

describe('a signed CAP Profile across restarts', () => {
  it('is stored with its signatures and re-verified at start: the restarted kernel serves it and refuses its replay', async () => {
    const store = new MemoryStore();
    const first = makeHarness({ store, deps: { capProfile: capProfileDeps(pubs) } });
    await first.kernel.start();
    const v2 = await sign(body({ version: 2 }, WRITE_POLICIES), pubs.slice(0, 2));
    expect((await first.call('PUT', '/v1/cap-profile', v2)).status).toBe(200);

    // the manifest epoch (choice 5.6): the activation issued the next manifest, declaring the new set
    const m1 = await first.call('GET', '/v1/manifest');
    expect(m1.json).toMatchObject({ epoch: 2, cap_profile_version: 2, cedar_policy_hash: first.kernel.activePolicy().cedarPolicyHash });
    expect(m1.json.cap_profile_hash).toMatch(/^[0-9a-f]{64}$/);
    expect(m1.json.publisher_keys).toHaveLength(3);

    const second = makeHarness({ store, deps: { capProfile: capProfileDeps(pubs) } });
    await second.kernel.start();
    expect((await second.call('GET', '/healthz')).json.state).toBe('NORMAL');
    // the restarted kernel's first manifest declares the restored profile
    expect((await second.call('GET', '/v1/manifest')).json).toMatchObject({ epoch: 3, cap_profile_version: 2, cap_profile_hash: m1.json.cap_profile_hash, previous_manifest_hash: expect.any(String) });
    expect((await second.call('GET', '/v1/cap-profile')).json).toMatchObject({ version: 2, signed: true, publishers: [pubs[0]!.kid, pubs[1]!.kid].sort() });
    expect((await (await session(second))(write)).json).toMatchObject({ decision: 'PERMIT', policy_ids: ['t2-write'] });
    // an older signed update (version 1) is a rollback after the restart too
    const replay = await second.call('PUT', '/v1/cap-profile', await sign(body({ version: 1 }), pubs.slice(0, 2)));
    expect(replay.json.code).toBe('CAP_ROLLBACK');
  });

  it('a stored profile whose signatures no longer verify puts the restarted kernel in DENY_ALL', async () => {
    const store = new MemoryStore();
    const first = makeHarness({ store, deps: { capProfile: capProfileDeps(pubs) } });
    await first.kernel.start();
    expect((await first.call('PUT', '/v1/cap-profile', await sign(body({ version: 1 }, WRITE_POLICIES), pubs.slice(0, 2)))).status).toBe(200);
    // drop one of the two signatures in the store: 1 of 3 is not enough
    const doc = store.rawDocument('cap_profile', 1)!;
    const jws = JSON.parse(doc.body);
    jws.signatures = jws.signatures.slice(0, 1);
    doc.body = JSON.stringify(jws);

    const second = makeHarness({ store, deps: { capProfile: capProfileDeps(pubs) } });
    await second.kernel.start();
    const health = (await second.call('GET', '/healthz')).json;
    expect(health.state).toBe('DENY_ALL');
    expect(health.conditions[0].reason).toMatch(/CAP|signature|publisher/i);
    expect((await (await session(second))(write)).json.decision).toBe('DENY');
  });
});
