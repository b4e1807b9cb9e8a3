import { beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_CAP_PROFILE } from '../../adapters/cedar/default-profile.ts';
import { body, capProfileDeps, inspector, makePublishers, POLICIES_V1, sign, type Publisher } from '../../../test/support/cap-profile.ts';
import { engineFactory, makeHarness } from '../../../test/support/harness.ts';
import type { PolicyEngine } from '../../ports/policy.ts';

let pubs: Publisher[];
beforeAll(async () => {
  pubs = await makePublishers(3);
});

describe('GET /v1/cap-profile/policies', () => {
  it('returns the built-in set\'s text, consistent with the active cedar_policy_hash', async () => {
    const h = makeHarness();
    const r = await h.call('GET', '/v1/cap-profile/policies');
    expect(r.status).toBe(200);
    expect(r.headers.get('content-type')).toMatch(/^application\/json/);
    const active = (await h.call('GET', '/v1/cap-profile')).json;
    expect(r.json).toEqual({
      cap_profile_id: DEFAULT_CAP_PROFILE.capProfileId,
      version: 0,
      cap_profile_hash: null,
      cedar_policy_hash: active.cedar_policy_hash,
      policy_ids: active.policy_ids,
      policies: DEFAULT_CAP_PROFILE.policies,
      schema: null,
    });
    // the text hashes to the hash the kernel serves, with either engine
    expect(inspector().inspect(r.json.policies)).toMatchObject({ type: 'success', cedarPolicyHash: active.cedar_policy_hash });
    expect(engineFactory('cedar-wasm').load({ capProfileId: 'x', policies: r.json.policies }).active().cedarPolicyHash).toBe(active.cedar_policy_hash);
  });

  it('answers the bare text for Accept: text/plain, the facts in headers', async () => {
    const h = makeHarness();
    const r = await h.call('GET', '/v1/cap-profile/policies', undefined, { accept: 'text/plain' });
    expect(r.status).toBe(200);
    expect(r.headers.get('content-type')).toBe('text/plain; charset=utf-8');
    expect(r.text).toBe(DEFAULT_CAP_PROFILE.policies);
    expect(r.headers.get('kee-cedar-policy-hash')).toBe((await h.call('GET', '/v1/cap-profile')).json.cedar_policy_hash);
    expect(r.headers.get('kee-cap-profile-version')).toBe('0');
    expect(decodeURIComponent(r.headers.get('kee-cap-profile-id') ?? '')).toBe(DEFAULT_CAP_PROFILE.capProfileId);
  });

  it('follows an accepted CAP Profile update: the signed policies, under its hashes', async () => {
    const h = makeHarness({ deps: { capProfile: capProfileDeps(pubs) } });
    const b = body({}, POLICIES_V1);
    const accepted = await h.call('PUT', '/v1/cap-profile', await sign(b, [pubs[0]!, pubs[1]!]));
    expect(accepted.status).toBe(200);
    const r = (await h.call('GET', '/v1/cap-profile/policies')).json;
    expect(r).toMatchObject({ cap_profile_id: b.cap_profile_id, version: 1, cap_profile_hash: accepted.json.cap_profile_hash, cedar_policy_hash: b.cedar_policy_hash, policies: b.policies });
  });

  it('503 UNAVAILABLE when the serving engine does not keep its text', async () => {
    const real = engineFactory().load(DEFAULT_CAP_PROFILE);
    const bare: PolicyEngine = { active: () => real.active(), evaluate: (q) => real.evaluate(q) };
    const h = makeHarness({ deps: { policy: bare } });
    const r = await h.call('GET', '/v1/cap-profile/policies');
    expect(r.status).toBe(503);
    expect(r.json.code).toBe('UNAVAILABLE');
  });
});
