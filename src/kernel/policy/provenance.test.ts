/**
 * Decision records and `soos.cedar.evaluate` spans name the determining policy's provenance
 * (`cedar_policy_id`, `cap_rrs_control_id`, `authority_source_uri`, tier, `cap_profile_hash`),
 * read from the annotations of the serving set: both engines give the same.
 */
import { describe, expect, it } from 'vitest';
import { classifyGold, makeHarness, type EngineName } from '../../../test/support/harness.ts';
import { scanPolicies } from './provenance.ts';

describe('policy provenance on decisions', () => {
  for (const engine of ['kee-policy', 'cedar-wasm'] as EngineName[]) {
    it(`records and spans carry the determining policy's control and authority source (${engine})`, async () => {
      const h = makeHarness({ engine });
      const { json: s } = await h.call('POST', '/v1/sessions', { agent_id: 'master-ai' });
      expect((await h.call('POST', `/v1/sessions/${s.session_id}/authorize`, classifyGold())).json.decision).toBe('DENY');
      expect((await h.call('POST', `/v1/sessions/${s.session_id}/authorize`, { ...classifyGold(), action: { type: 'Action', id: 'read' } })).json.decision).toBe('PERMIT');
      const records = h.store.rawRecords(s.session_id).map((r) => JSON.parse(r.canonical));
      expect(records[1]).toMatchObject({
        ale_type: 'CEDAR_DENY',
        cedar_policy_id: 'tier0b-no-auto-gold',
        cap_rrs_control_id: 'disaster-response:auto-gold-needs-human',
        authority_source_uri: 'https://elaws.e-gov.go.jp/document?lawid=336AC0000000223',
        cap_tier: '0-B',
        cap_profile_hash: null,
      });
      // the built-in read policy names a control but no statute
      expect(records[2]).toMatchObject({ ale_type: 'CEDAR_PERMIT', cedar_policy_id: 'kee-default-read', cap_rrs_control_id: 'kee-default:read-any', authority_source_uri: null, cap_tier: '2' });
      const spans = h.spans.getFinishedSpans().filter((x) => x.name === 'soos.cedar.evaluate');
      expect(spans[0]?.attributes).toMatchObject({
        'soos.cap.cedar_policy_id': 'tier0b-no-auto-gold',
        'soos.cap.cap_rrs_control_id': 'disaster-response:auto-gold-needs-human',
        'soos.cap.authority_source_uri': 'https://elaws.e-gov.go.jp/document?lawid=336AC0000000223',
        'soos.cap.tier': '0-B',
        'soos.governance.cap_profile_hash': '',
      });
    });
  }

  it('a DENY no policy determined (no permit applies) names no provenance', async () => {
    const h = makeHarness();
    const { json: s } = await h.call('POST', '/v1/sessions', { agent_id: 'a' });
    const r = await h.call('POST', `/v1/sessions/${s.session_id}/authorize`, { ...classifyGold(), action: { type: 'Action', id: 'delete' } });
    expect(r.json.decision).toBe('DENY');
    const rec = JSON.parse(h.store.rawRecords(s.session_id)[1]!.canonical);
    expect(rec).toMatchObject({ cedar_policy_id: null, cap_rrs_control_id: null, authority_source_uri: null });
  });

  it('scans annotations past comments and strings holding `;`, `@` and quotes', () => {
    const text = `// a comment with @id("nope");
@id("a") @tier("1")
@authority_source_uri("https://example.gov/law?x=1;y=\\"2\\"")
permit (principal, action, resource) when { context.note == "semi; @colon // not a comment" };
forbid (principal, action, resource); // no @id: Cedar calls it policy1
@id("t") permit (principal == ?principal, action, resource);`;
    expect(scanPolicies(text).map((p) => [p.id, p.annotations])).toEqual([
      ['a', { id: 'a', tier: '1', authority_source_uri: 'https://example.gov/law?x=1;y="2"' }],
      ['policy1', {}],
      ['t', { id: 't' }],
    ]);
  });
});
