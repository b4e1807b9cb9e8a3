/**
 * `GET /v1/ptd/controls/{control_id}`: a decision record's `cap_rrs_control_id` leads to the
 * Cedar policy that implements it, its tier and statute (digest 4.9 steps 16-18); both engines.
 */
import { describe, expect, it } from 'vitest';
import { DEFAULT_CAP_PROFILE } from '../../adapters/cedar/default-profile.ts';
import { classifyGold, makeHarness, type EngineName } from '../../../test/support/harness.ts';

describe('policy transparency: GET /v1/ptd/controls/{control_id}', () => {
  for (const engine of ['kee-policy', 'cedar-wasm'] as EngineName[]) {
    it(`from a decision record to the policy text, tier and statute of its control (${engine})`, async () => {
      const h = makeHarness({ engine });
      const { json: s } = await h.call('POST', '/v1/sessions', { agent_id: 'master-ai' });
      await h.call('POST', `/v1/sessions/${s.session_id}/authorize`, classifyGold());
      const record = JSON.parse(h.store.rawRecords(s.session_id)[1]!.canonical);
      const res = await h.call('GET', `/v1/ptd/controls/${encodeURIComponent(record.cap_rrs_control_id)}`);
      expect(res.status).toBe(200);
      expect(res.json).toMatchObject({
        control_id: 'disaster-response:auto-gold-needs-human',
        cap_profile_id: DEFAULT_CAP_PROFILE.capProfileId,
        cap_profile_version: 0,
        cap_profile_hash: null,
        cedar_policy_hash: record.cedar_policy_hash,
        cedar_policy_id: record.cedar_policy_id,
        tier: '0-B',
        authority_source_uri: record.authority_source_uri,
      });
      expect(res.json.cedar_policy).toMatch(/^@id\("tier0b-no-auto-gold"\)[\s\S]*forbid \(principal, action == Action::"classify_gold", resource\)[\s\S]*;$/);
      expect(DEFAULT_CAP_PROFILE.policies).toContain(res.json.cedar_policy);
      expect(res.json.policies).toHaveLength(1);
    });
  }

  it('answers 404 for a control no serving policy implements', async () => {
    const h = makeHarness();
    const res = await h.call('GET', '/v1/ptd/controls/nope:nothing');
    expect(res.status).toBe(404);
    expect(res.json.code).toBe('CONTROL_NOT_FOUND');
    expect((await h.call('GET', `/v1/ptd/controls/${'x'.repeat(300)}`)).status).toBe(400);
  });
});
