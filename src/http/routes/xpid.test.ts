import { describe, expect, it } from 'vitest';
import { makeHarness } from '../../../test/support/harness.ts';

/** Digest Appendix T, KEE §10 vector. */
const VECTOR = {
  initiating_kia_id: 'kia:myauberge.k.k.:booking-agent-01',
  responding_kia_id: 'kia:ponyhouse.farm:supplier-agent-01',
  initiated_at: '2026-07-20T09:14:33Z',
  initiating_nonce: 'a3f8c2e1d4b7',
  responding_nonce: 'b1e9d3f6a2c4',
};

describe('POST /v1/xpid/derive (KEE §10 derive_xpid)', () => {
  it('answers the Appendix T vector', async () => {
    const h = makeHarness();
    const a = await h.call('POST', '/v1/xpid/derive', VECTOR);
    expect(a.status).toBe(200);
    expect(a.json).toEqual({ xpid: '4e626324-7648-54c1-b97a-74965e359449' });
  });

  it('is deterministic, and each input changes the XPID', async () => {
    const h = makeHarness();
    const base = (await h.call('POST', '/v1/xpid/derive', VECTOR)).json.xpid;
    expect((await h.call('POST', '/v1/xpid/derive', VECTOR)).json.xpid).toBe(base);
    const seen = new Set([base]);
    for (const key of Object.keys(VECTOR) as (keyof typeof VECTOR)[]) {
      const changed = key === 'initiated_at' ? '2026-07-20T09:14:34Z' : `${VECTOR[key]}x`;
      const a = await h.call('POST', '/v1/xpid/derive', { ...VECTOR, [key]: changed });
      expect(a.status, key).toBe(200);
      seen.add(a.json.xpid);
    }
    expect(seen.size).toBe(6);
  });

  it('stores nothing and needs no started kernel nor a working store', async () => {
    const h = makeHarness({ start: false });
    h.store.failWith = new Error('disk gone');
    const a = await h.call('POST', '/v1/xpid/derive', VECTOR);
    expect(a.status).toBe(200);
    expect(a.json.xpid).toBe('4e626324-7648-54c1-b97a-74965e359449');
  });

  it('refuses bad input with 400 INVALID_INPUT, naming the field', async () => {
    const h = makeHarness();
    const bad: [Record<string, unknown>, string][] = [
      [{ ...VECTOR, initiated_at: '2026-07-20T09:14:33+02:00' }, 'initiated_at'],
      [{ ...VECTOR, initiated_at: '2026-07-20 09:14:33' }, 'initiated_at'],
      [{ ...VECTOR, initiated_at: 'yesterday' }, 'initiated_at'],
      [{ ...VECTOR, initiating_nonce: '' }, 'initiating_nonce'],
      [{ ...VECTOR, responding_kia_id: 'a|b' }, 'responding_kia_id'],
      [{ ...VECTOR, responding_nonce: 7 }, 'responding_nonce'],
      [{ ...VECTOR, extra: 1 }, '(body)'],
      [(({ initiating_kia_id: _, ...rest }) => rest)(VECTOR), 'initiating_kia_id'],
    ];
    for (const [body, field] of bad) {
      const a = await h.call('POST', '/v1/xpid/derive', body);
      expect(a.status, JSON.stringify(body)).toBe(400);
      expect(a.json.code).toBe('INVALID_INPUT');
      expect(a.json.detail).toContain(`\`${field}\``);
    }
  });

  it('a | inside one input cannot alias another input tuple', async () => {
    const h = makeHarness();
    // without the rule, `a|b` + `c` and `a` + `b|c` would join to the same name
    const a = await h.call('POST', '/v1/xpid/derive', { ...VECTOR, initiating_kia_id: `${VECTOR.initiating_kia_id}|${VECTOR.responding_kia_id}`, responding_kia_id: 'x' });
    expect(a.status).toBe(400);
  });
});

describe('INVALID_XPID_CLAIM: an XPID is derived by the kernel only', () => {
  it('POST /v1/sessions with an xpid is refused 400 INVALID_XPID_CLAIM, whatever its value', async () => {
    const h = makeHarness();
    for (const xpid of ['4e626324-7648-54c1-b97a-74965e359449', null, '', { forged: true }]) {
      const a = await h.call('POST', '/v1/sessions', { agent_id: 'a', xpid });
      expect(a.status).toBe(400);
      expect(a.headers.get('content-type')).toBe('application/problem+json');
      expect(a.json.code).toBe('INVALID_XPID_CLAIM');
    }
    expect((await h.call('POST', '/v1/sessions', { agent_id: 'a' })).status).toBe(201);
  });
});

describe('the GEC Manifest declares the agent XPID derivation', () => {
  it('xpid_derivation_version is the deriver\'s (1.1), not `none`', async () => {
    const h = makeHarness();
    await h.started;
    const m = await h.call('GET', '/v1/manifest');
    expect(m.status).toBe(200);
    expect(m.json.xpid_derivation_version).toBe('1.1');
  });
});
