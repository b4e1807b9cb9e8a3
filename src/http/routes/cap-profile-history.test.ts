import { describe, expect, it } from 'vitest';
import { body, capProfileDeps, makePublishers, POLICIES_V1, sign } from '../../../test/support/cap-profile.ts';
import { makeHarness } from '../../../test/support/harness.ts';

const V2 = `${POLICIES_V1}
@id("t2-write")
@tier("2")
permit (principal is Agent, action == Action::"write", resource);
`;

describe('GET /v1/cap-profile/history', () => {
  it('lists the accepted updates in order and gives each back as signed, policies included', async () => {
    const pubs = await makePublishers(3);
    const h = makeHarness({ deps: { capProfile: capProfileDeps(pubs) } });
    await h.started;
    expect((await h.call('GET', '/v1/cap-profile/history')).json).toEqual({ updates: [] });
    const jws1 = await sign(body(), [pubs[0]!, pubs[1]!]);
    const next = { version: 2, catalog_version: { version_id: 'cat-2', supersedes: 'cat-1', published_by: 'x', published_at: '2026-02-01T00:00:00Z' } };
    const jws2 = await sign(body(next, V2), [pubs[1]!, pubs[2]!]);
    expect((await h.call('PUT', '/v1/cap-profile', jws1)).status).toBe(200);
    const put2 = await h.call('PUT', '/v1/cap-profile', jws2);
    expect(put2.status, put2.text).toBe(200);
    // a refused update is not stored
    expect((await h.call('PUT', '/v1/cap-profile', await sign(body({ version: 2 }), [pubs[0]!, pubs[1]!]))).status).toBe(409);

    const list = await h.call('GET', '/v1/cap-profile/history');
    expect(list.json.updates).toEqual([
      { seq: 1, doc_id: 'test-profile@1', stored_at: expect.any(String) },
      { seq: 2, doc_id: 'test-profile@2', stored_at: expect.any(String) },
    ]);
    const second = await h.call('GET', '/v1/cap-profile/history/2');
    expect(second.status).toBe(200);
    expect(second.json.jws).toEqual(jws2);
    const payload = JSON.parse(new TextDecoder().decode(Buffer.from(second.json.jws.payload, 'base64url')));
    expect(payload.policies).toBe(V2);
    expect(payload.policies).toBe(h.kernel.activePolicyText().policies);

    // no such update: 404; not a sequence number at all: 400
    const r3 = await h.call('GET', '/v1/cap-profile/history/3');
    expect([r3.status, r3.json.code]).toEqual([404, 'NOT_FOUND']);
    for (const seq of ['0', 'abc', '01']) {
      const r = await h.call('GET', `/v1/cap-profile/history/${seq}`);
      expect([seq, r.status, r.json.code]).toEqual([seq, 400, 'INVALID_INPUT']);
    }
  });
});
