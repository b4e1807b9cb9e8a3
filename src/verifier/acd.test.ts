import { describe, expect, it } from 'vitest';
import { agentKeyPair } from '../../test/support/agent-auth.ts';
import { makeHarness } from '../../test/support/harness.ts';
import { Ed25519Signer } from '../adapters/noble/ed25519.ts';
import { detachedCompact, detachedSigningInput } from '../kernel/acd/detached-jws.ts';
import { toHex } from '../kernel/hex.ts';
import { AcdRecordCache, fetchAcdRecord, reportAcdDecision, validateAcdRecord, type AcdRecord, type AcdValidationInput } from './acd.ts';

const NOW = Date.parse('2026-12-06T00:00:00.000Z');
const SESSION = '6f451052-12aa-4c43-96a0-1877c3a9a1ef';
const XPID = '93605d78-e08c-5a98-a3b2-0c3597bb9f90';
const kia = new Ed25519Signer(Ed25519Signer.generateSeed());

/** A record as a kernel signs it (detached EdDSA over the JCS of the other members), with `changes` applied before signing. */
async function signed(changes: Partial<AcdRecord> = {}, signer: Ed25519Signer = kia): Promise<AcdRecord> {
  const body = {
    acd_session_id: crypto.randomUUID(),
    agent_xpid: `urn:soos:xpid:uuid:${XPID}`,
    aep_session_id: SESSION,
    governing_law: 'Japan',
    primary_jurisdiction: 'JP',
    jurisdictions: [{ jurisdiction_code: 'JP', regulatory_regime: ['APPI'], ptd_endpoint: null }],
    acd_validity_not_before: new Date(NOW - 60_000).toISOString(),
    acd_validity_not_after: new Date(NOW + 86_400_000).toISOString(),
    prohibition_tier_summary: { tier_0a: 0, tier_0b: 1, tier_1: 1, tier_2: 1 },
    operator_id: 'urn:soos:kia:example-operator:jp:v1',
    mjwt_jti: null,
    ...changes,
  };
  const s = detachedSigningInput(body, 'kid');
  return { ...body, gec_signature: detachedCompact(s.header, await signer.sign(s.input)) } as AcdRecord;
}

const input = (over: Partial<AcdValidationInput> = {}): AcdValidationInput => ({
  kiaPublicKey: toHex(kia.publicKey()),
  expectedXpid: XPID,
  aepSessionId: SESSION,
  requirements: { jurisdiction: 'JP', regulatoryRegimes: ['APPI'], minTiers: { tier_0b: 1, tier_1: 1 } },
  now: NOW,
  ...over,
});

describe('validateAcdRecord: the six ACD §7.3 validations, in order', () => {
  it('accepts a record that passes all six', async () => {
    const r = await validateAcdRecord(JSON.stringify(await signed()), input());
    expect(r.ok).toBe(true);
  });

  it('1: the signature verifies against the KIA key only (another key, a changed member, a non-detached form)', async () => {
    const other = new Ed25519Signer(Ed25519Signer.generateSeed());
    expect(await validateAcdRecord(await signed({}, other), input())).toMatchObject({ ok: false, step: 1, failed_layer: 3, failed_field: 'gec_signature' });
    const changed = { ...(await signed()), operator_id: 'urn:someone-else' };
    expect(await validateAcdRecord(changed, input())).toMatchObject({ ok: false, step: 1 });
    const rec = await signed();
    const [h, , sig] = rec.gec_signature.split('.');
    expect(await validateAcdRecord({ ...rec, gec_signature: `${h}.e30.${sig}` }, input())).toMatchObject({ ok: false, step: 1 });
    // even a record with every other fault fails at step 1 first
    expect(await validateAcdRecord(await signed({ agent_xpid: 'urn:soos:xpid:uuid:x', operator_id: null }, other), input())).toMatchObject({ step: 1 });
  });

  it('2: the agent XPID is the expected one, and the record belongs to this AEP session', async () => {
    const r = await validateAcdRecord(await signed({ agent_xpid: 'urn:soos:xpid:uuid:fe4c1048-4906-5146-b705-3e5c005b8327' }), input());
    expect(r).toMatchObject({ ok: false, step: 2, failed_layer: 1, failed_field: 'agent_xpid', denial_reason: 'XPID_MISMATCH' });
    expect(await validateAcdRecord(await signed(), input({ aepSessionId: crypto.randomUUID() }))).toMatchObject({ ok: false, step: 2, failed_field: 'aep_session_id' });
    expect((await validateAcdRecord(await signed(), input({ expectedXpid: `urn:soos:xpid:uuid:${XPID}` }))).ok).toBe(true);
  });

  it('3: this clock is inside the validity window (expired, not yet valid)', async () => {
    const rec = await signed();
    expect(await validateAcdRecord(rec, input({ now: NOW + 86_400_000 + 5_001 }))).toMatchObject({ ok: false, step: 3, failed_field: 'acd_validity_not_after', denial_reason: 'EXPIRED' });
    expect(await validateAcdRecord(rec, input({ now: NOW - 70_000 }))).toMatchObject({ ok: false, step: 3, failed_field: 'acd_validity_not_before' });
    expect((await validateAcdRecord(rec, input({ now: NOW + 86_400_000 - 1 }))).ok).toBe(true);
  });

  it('4: the jurisdiction and its regimes are covered', async () => {
    expect(await validateAcdRecord(await signed({ jurisdictions: [{ jurisdiction_code: 'DE', regulatory_regime: ['GDPR'], ptd_endpoint: null }] }), input())).toMatchObject({ ok: false, step: 4, failed_layer: 1, failed_field: 'jurisdictions' });
    expect(await validateAcdRecord(await signed({ jurisdictions: [{ jurisdiction_code: 'JP', regulatory_regime: [], ptd_endpoint: null }] }), input())).toMatchObject({ ok: false, step: 4 });
  });

  it("5: the tier counts meet the provider's requirements", async () => {
    const r = await validateAcdRecord(await signed({ prohibition_tier_summary: { tier_0a: 0, tier_0b: 0, tier_1: 1, tier_2: 1 } }), input());
    expect(r).toMatchObject({ ok: false, step: 5, failed_layer: 2, failed_field: 'prohibition_tier_summary' });
  });

  it('5: the record names every control the provider requires (cap_rrs_controls)', async () => {
    const control = { cap_rrs_control_id: 'appi:art19-data-minimization', cedar_policy_id: 'tier1-data-minimization', tier: '1', authority_source_uri: 'https://elaws.e-gov.go.jp/document?lawid=415AC0000000057' };
    const req = { jurisdiction: 'JP', controls: ['appi:art19-data-minimization'] };
    expect(await validateAcdRecord(await signed({ cap_rrs_controls: [control] }), input({ requirements: req }))).toMatchObject({ ok: true });
    const r = await validateAcdRecord(await signed({ cap_rrs_controls: [{ ...control, cap_rrs_control_id: 'appi:art17' }] }), input({ requirements: req }));
    expect(r).toMatchObject({ ok: false, step: 5, failed_layer: 2, failed_field: 'cap_rrs_controls' });
    expect(await validateAcdRecord(await signed(), input({ requirements: req }))).toMatchObject({ ok: false, step: 5, failed_field: 'cap_rrs_controls' });
  });

  it('6: the operator id is not null', async () => {
    expect(await validateAcdRecord(await signed({ operator_id: null }), input())).toMatchObject({ ok: false, step: 6, failed_layer: 3, failed_field: 'operator_id' });
  });
});

describe('AcdRecordCache (ACD §7.5)', () => {
  it('keeps a record until acd_validity_not_after or the shorter freshness, in its AEP session only', async () => {
    let now = NOW;
    const cache = new AcdRecordCache({ maxFreshnessSeconds: 600, now: () => now });
    const rec = await signed();
    cache.put(rec);
    expect(cache.get(SESSION)).toBe(rec);
    expect(cache.get(crypto.randomUUID())).toBeUndefined();
    now += 600_000;
    expect(cache.get(SESSION)).toBeUndefined();
    const short = await signed({ acd_validity_not_after: new Date(NOW + 1_000).toISOString() });
    now = NOW;
    const lax = new AcdRecordCache({ now: () => now });
    lax.put(short);
    now += 1_000;
    expect(lax.get(SESSION)).toBeUndefined();
  });
});

describe('the handshake and the report against a kernel', () => {
  it('fetchAcdRecord gets a record that validates; reportAcdDecision records ALE-058; a refusal names the failed check', async () => {
    const h = makeHarness({ deps: { options: { acd: { profile: { operator_id: 'urn:soos:kia:op', jurisdictions: [{ jurisdiction_code: 'JP', regulatory_regime: ['APPI'], ptd_endpoint: null }] } } } } });
    await h.started;
    const agent = await h.kernel.registerAgent({ agent_id: 'a1', public_keys: [(await agentKeyPair()).jwk] }, 'op');
    const s = await h.kernel.openSession('a1');
    const local = { fetch: ((url: string, init?: RequestInit) => h.app.request(url, init)) as typeof fetch };
    const got = await fetchAcdRecord('http://kee.test', s.session_id, local);
    expect(got.ok).toBe(true);
    if (!got.ok) return;
    const v = await validateAcdRecord(got.body, { kiaPublicKey: h.kernel.publicKey().public_key, expectedXpid: agent.xpid, aepSessionId: s.session_id, requirements: { jurisdiction: 'JP', regulatoryRegimes: ['APPI'], minTiers: { tier_0b: 1 } } });
    expect(v.ok).toBe(true);
    if (!v.ok) return;
    const rep = await reportAcdDecision('http://kee.test', v.record.acd_session_id, { decision: 'GRANTED' }, local);
    expect(rep).toMatchObject({ ok: true, status: 200 });
    const refused = await fetchAcdRecord('http://kee.test', crypto.randomUUID(), local);
    expect(refused).toMatchObject({ ok: false, status: 403, failed_check: 4 });
  });
});
