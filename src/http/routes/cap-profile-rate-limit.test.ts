import { beforeAll, describe, expect, it } from 'vitest';
import { makeHarness } from '../../../test/support/harness.ts';
import { body, capProfileDeps, journal, makePublishers, sign, type Publisher } from '../../../test/support/cap-profile.ts';

let pubs: Publisher[];
beforeAll(async () => {
  pubs = await makePublishers(3);
});

describe('refused PUT /v1/cap-profile is rate-limited (issue 12)', () => {
  it('past the limit, refusals answer 429 RATE_LIMITED with Retry-After and add no record; a signed update still gets through; the count is recorded when the window reopens', async () => {
    let now = Date.parse('2026-12-01T00:00:00.000Z');
    const clock = { nowIso: () => new Date(now).toISOString() };
    const h = makeHarness({ deps: { capProfile: capProfileDeps(pubs), clock, options: { capRefusalsPerMinute: 3 } } });
    await h.started;
    const unsigned = { payload: 'x'.repeat(1024), signatures: [] };
    const refusals = async () => (await journal(h.store)).filter((e) => String(e.ale_type).startsWith('CAP_PROFILE_REFUS'));

    for (let i = 0; i < 3; i++) expect((await h.call('PUT', '/v1/cap-profile', unsigned)).status).toBe(422);
    expect(await refusals()).toHaveLength(3);

    for (let i = 0; i < 5; i++) {
      now += 1000;
      const r = await h.call('PUT', '/v1/cap-profile', unsigned);
      expect(r.status).toBe(429);
      expect(r.json).toMatchObject({ code: 'RATE_LIMITED', facts: { refusal_code: 'CAP_SIGNATURES_INSUFFICIENT' } });
      expect(r.headers.get('retry-after')).toBe(String(20 - i - 1));
    }
    expect(await refusals()).toHaveLength(3);

    // a properly signed update is not a refusal: it is verified and activated as ever
    const ok = await h.call('PUT', '/v1/cap-profile', await sign(body(), pubs));
    expect(ok.status).toBe(200);

    now += 20_000;
    expect((await h.call('PUT', '/v1/cap-profile', unsigned)).status).toBe(422);
    const after = await refusals();
    expect(after.map((e) => e.ale_type)).toEqual(['CAP_PROFILE_REFUSED', 'CAP_PROFILE_REFUSED', 'CAP_PROFILE_REFUSED', 'CAP_PROFILE_REFUSALS_SUPPRESSED', 'CAP_PROFILE_REFUSED']);
    expect(after[3]).toMatchObject({ count: 5, first_at: '2026-12-01T00:00:01.000Z', last_at: '2026-12-01T00:00:05.000Z' });
  });
});
