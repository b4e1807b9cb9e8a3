import type { DeploymentConformance } from './conformance.ts';
import { beforeAll, describe, expect, it } from 'vitest';
import { joseJwsVerifier, base64url } from '../../adapters/jose/jws.ts';
import { body, inspector, makePublisher, makePublishers, payloadOf, POLICIES_V1, sign, type Publisher } from '../../../test/support/cap-profile.ts';
import { capProfileHash } from './cap-profile.ts';
import type { CapProfileRefusal } from './refusal.ts';
import type { PublisherKey } from './signatures.ts';
import { publisherKeySet, verifyCapProfileUpdate, type ActiveProfileFacts, type VerifiedCapProfile } from './verify-update.ts';

let pubs: Publisher[];
let keys: PublisherKey[];
const initial: ActiveProfileFacts = { capProfileId: 'kee-default', version: 0, catalogVersionId: null, effectiveDate: null };

beforeAll(async () => {
  pubs = await makePublishers(3);
  keys = await publisherKeySet(pubs.map((p) => p.publicKey));
});

const L3 = { level: 'KEE1-L3', allowNonconformant: false } as const;
const verify = (input: unknown, active: ActiveProfileFacts = initial, conformance: DeploymentConformance = L3) =>
  verifyCapProfileUpdate(input, { publisherKeys: keys, jws: joseJwsVerifier, active, inspectPolicies: (t) => inspector().inspect(t), now: () => '2026-11-22T00:00:00Z', conformance });

function refused(r: VerifiedCapProfile | CapProfileRefusal): CapProfileRefusal {
  if (!r.refused) throw new Error(`expected a refusal, got acceptance of version ${r.body.version}`);
  return r;
}
function accepted(r: VerifiedCapProfile | CapProfileRefusal): VerifiedCapProfile {
  if (r.refused) throw new Error(`expected acceptance, got ${r.code}: ${r.reason}`);
  return r;
}

describe('publisher signatures (2 of 3, checked first)', () => {
  it('0 and 1 valid signatures are refused, 2 and 3 accepted', async () => {
    const b = body();
    const none = refused(await verify({ payload: base64url(payloadOf(b)), signatures: [] }));
    expect(none.code).toBe('CAP_SIGNATURES_INSUFFICIENT');
    for (const p of pubs) {
      const one = refused(await verify(await sign(b, [p])));
      expect(one.code).toBe('CAP_SIGNATURES_INSUFFICIENT');
      expect(one.reason).toBe('1 of 3 configured publishers signed the update, 2 are required');
      expect(one.detail.valid_publishers).toEqual([p.kid]);
    }
    const two = accepted(await verify(await sign(b, [pubs[0]!, pubs[2]!])));
    expect(two.publishers).toEqual([pubs[0]!.kid, pubs[2]!.kid].sort());
    expect(two.cap_profile_hash).toBe(await capProfileHash(b));
    expect(two.policies).toBe(POLICIES_V1);
    const three = accepted(await verify(await sign(b, pubs)));
    expect(three.publishers).toHaveLength(3);
  });

  it('the same signature twice, or the same key twice, counts once', async () => {
    const b = body();
    const one = await sign(b, [pubs[0]!]);
    const dupEntry = { payload: one.payload, signatures: [one.signatures[0]!, one.signatures[0]!] };
    expect(refused(await verify(dupEntry)).code).toBe('CAP_SIGNATURES_INSUFFICIENT');
    // a second, different signature by the same key (another protected header)
    const { FlattenedSign, importJWK } = await import('jose');
    const p = pubs[0]!;
    const key = await importJWK({ kty: 'OKP', crv: 'Ed25519', x: base64url(p.publicKey), d: base64url(p.seed) }, 'EdDSA');
    const again = await new FlattenedSign(payloadOf(b)).setProtectedHeader({ alg: 'EdDSA', kid: p.kid, typ: 'kee-cap-profile+jws' }).sign(key);
    const sameKey = { payload: one.payload, signatures: [one.signatures[0]!, { protected: again.protected!, signature: again.signature }] };
    const r = refused(await verify(sameKey));
    expect(r.code).toBe('CAP_SIGNATURES_INSUFFICIENT');
    expect(r.detail.valid_publishers).toEqual([p.kid]);
  });

  it('an unknown key counts for nothing and is reported', async () => {
    const stranger = await makePublisher();
    const b = body();
    const r = refused(await verify(await sign(b, [pubs[1]!, stranger])));
    expect(r.code).toBe('CAP_SIGNATURES_INSUFFICIENT');
    expect(r.detail.unknown_kids).toEqual([stranger.kid]);
    const ok = accepted(await verify(await sign(b, [pubs[1]!, stranger, pubs[2]!])));
    expect(ok.unknown_kids).toEqual([stranger.kid]);
  });

  it('a signature over a different payload does not count', async () => {
    const b = body();
    const other = await sign(body({ version: 99 }), [pubs[1]!]);
    const mine = await sign(b, [pubs[0]!]);
    const mixed = { payload: mine.payload, signatures: [mine.signatures[0]!, other.signatures[0]!] };
    const r = refused(await verify(mixed));
    expect(r.code).toBe('CAP_SIGNATURES_INSUFFICIENT');
    expect(r.detail.valid_publishers).toEqual([pubs[0]!.kid]);
    expect((r.detail.invalid_signatures as { kid: string }[]).map((i) => i.kid)).toEqual([pubs[1]!.kid]);
  });

  it('a payload tampered with after signing is refused before it is read', async () => {
    const jws = await sign(body(), pubs);
    const text = new TextDecoder().decode(Uint8Array.from(atob(jws.payload.replace(/-/g, '+').replace(/_/g, '/')), (c) => c.charCodeAt(0)));
    const tampered = { ...jws, payload: base64url(new TextEncoder().encode(text.replace('"version":1', '"version":7'))) };
    const r = refused(await verify(tampered));
    expect(r.code).toBe('CAP_SIGNATURES_INSUFFICIENT');
    expect(r.detail.valid_publishers).toEqual([]);
    expect(r.detail.invalid_signatures).toHaveLength(3);
  });

  it('a signature must be EdDSA with a kid in the protected header; junk is refused, never thrown', async () => {
    const jws = await sign(body(), pubs);
    const noKid = base64url(new TextEncoder().encode('{"alg":"EdDSA"}'));
    const r = refused(await verify({ payload: jws.payload, signatures: jws.signatures.map((s) => ({ ...s, protected: noKid })) }));
    expect(r.code).toBe('CAP_SIGNATURES_INSUFFICIENT');
    for (const junk of [null, 42, 'jws', [], {}, { payload: 'x' }, { payload: 'x', signatures: 'y' }, { payload: 'x', signatures: [null, 1, {}] }]) {
      expect(refused(await verify(junk)).code).toBe('CAP_SIGNATURES_INSUFFICIENT');
    }
  });

  it('refuses header parameters that change what is signed (b64, crit) and unprotected headers', async () => {
    const { FlattenedSign, importJWK } = await import('jose');
    const text = new TextDecoder().decode(payloadOf(body()));
    const entries = [];
    for (const p of pubs.slice(0, 2)) {
      const key = await importJWK({ kty: 'OKP', crv: 'Ed25519', x: base64url(p.publicKey), d: base64url(p.seed) }, 'EdDSA');
      const f = await new FlattenedSign(new TextEncoder().encode(text)).setProtectedHeader({ alg: 'EdDSA', kid: p.kid, b64: false, crit: ['b64'] }).sign(key);
      entries.push({ protected: f.protected!, signature: f.signature });
    }
    const r = refused(await verify({ payload: text, signatures: entries }));
    expect(r.code).toBe('CAP_SIGNATURES_INSUFFICIENT');
    expect((r.detail.invalid_signatures as { reason: string }[])[0]!.reason).toMatch(/`(b64|crit)` is not accepted/);
    const jws = await sign(body(), pubs.slice(0, 2));
    const withHeader = { ...jws, signatures: jws.signatures.map((s) => ({ ...s, header: { note: 'x' } })) };
    expect(refused(await verify(withHeader)).detail.valid_publishers).toEqual([]);
  });

  it('takes the configured keys raw as well', async () => {
    const r = await verifyCapProfileUpdate(await sign(body(), pubs.slice(1)), {
      publisherKeys: pubs.map((p) => p.publicKey),
      jws: joseJwsVerifier,
      active: { capProfileId: 'kee-default', version: 0 },
      inspectPolicies: (t) => inspector().inspect(t),
      now: () => '2026-11-22T00:00:00Z',
    });
    expect(accepted(r).publishers).toEqual([pubs[1]!.kid, pubs[2]!.kid].sort());
  });

  it('needs exactly three distinct configured keys', async () => {
    await expect(publisherKeySet(pubs.slice(0, 2).map((p) => p.publicKey))).rejects.toThrow(/exactly 3/);
    await expect(publisherKeySet([pubs[0]!.publicKey, pubs[1]!.publicKey, pubs[0]!.publicKey])).rejects.toThrow(/configured twice/);
    await expect(publisherKeySet([pubs[0]!.publicKey, pubs[1]!.publicKey, new Uint8Array(31)])).rejects.toThrow(/32/);
  });
});

describe('body and policies', () => {
  it('refuses a payload that is not the JCS form, or not a well-formed body', async () => {
    const b = body();
    const pretty = new TextEncoder().encode(JSON.stringify(b, null, 2));
    expect(refused(await verify(await sign(b, pubs, pretty))).code).toBe('CAP_PROFILE_MALFORMED');
    for (const bad of [{ ...b, version: 0 }, { ...b, version: 1.5 }, { ...b, effective_date: 'tomorrow' }, { ...b, profile_kind: 'other' }, { ...b, extra: 1 }, { ...b, catalog_version: {} }]) {
      expect(refused(await verify(await sign(bad, pubs))).code, JSON.stringify(bad).slice(0, 80)).toBe('CAP_PROFILE_MALFORMED');
    }
  });

  it('refuses a cedar_policy_hash that is not the hash of the policies', async () => {
    const b = { ...body(), cedar_policy_hash: 'ab'.repeat(32) };
    const r = refused(await verify(await sign(b, pubs)));
    expect(r.code).toBe('CAP_POLICY_HASH_MISMATCH');
    expect(r.detail.computed).toBe(body().cedar_policy_hash);
    const swapped = { ...body(), policies: POLICIES_V1.replace('"read"', '"write"') };
    expect(refused(await verify(await sign(swapped, pubs))).code).toBe('CAP_POLICY_HASH_MISMATCH');
  });

  it('every policy needs an @id and a valid @tier; controls must match the annotations', async () => {
    const noTier = '@id("a")\npermit (principal, action == Action::"read", resource);';
    const badTier = '@id("a")\n@tier("3")\npermit (principal, action == Action::"read", resource);';
    const noId = '@tier("2")\npermit (principal, action == Action::"read", resource);';
    for (const [policies, reason] of [[noTier, /no `@tier`/], [badTier, /@tier\("3"\)/]] as const) {
      const r = refused(await verify(await sign(body({}, policies), pubs)));
      expect(r.code).toBe('CAP_ANNOTATION_INVALID');
      expect(r.reason).toMatch(reason);
    }
    // without an @id the engine cannot hash: the publisher tool refuses, so build the body by hand
    const handmade = { ...body(), policies: noId, controls: {} };
    const r = refused(await verify(await sign(handmade, pubs)));
    expect(r.code).toBe('CAP_ANNOTATION_INVALID');
    expect(r.reason).toMatch(/no `@id`/);
    const wrongControls = { ...body(), controls: { 't2-read': { cap_rrs_control_id: 'other', authority_source_uri: null } } };
    expect(refused(await verify(await sign(wrongControls, pubs))).code).toBe('CAP_ANNOTATION_INVALID');
    const syntax = { ...body(), policies: 'permit (principal,' };
    expect(refused(await verify(await sign(syntax, pubs))).code).toBe('CAP_POLICY_INVALID');
  });
});

describe('rollback and catalog version', () => {
  const active: ActiveProfileFacts = { capProfileId: 'test-profile', version: 5, catalogVersionId: 'cat-5', effectiveDate: '2026-06-01T00:00:00Z' };
  const cat = (supersedes: string | null) => ({ version_id: 'cat-6', supersedes, published_by: 'a', published_at: '2026-06-02T00:00:00Z' });

  it('refuses a lower or equal version', async () => {
    for (const version of [4, 5]) {
      const r = refused(await verify(await sign(body({ version, catalog_version: cat('cat-5'), effective_date: '2026-06-02T00:00:00Z' }), pubs), active));
      expect(r.code).toBe('CAP_ROLLBACK');
      expect(r.reason).toBe(`version ${version} is not above the active version 5`);
    }
    accepted(await verify(await sign(body({ version: 6, catalog_version: cat('cat-5'), effective_date: '2026-06-02T00:00:00Z' }), pubs), active));
  });

  it('refuses a catalog that does not supersede the active one, an earlier or a future effective date', async () => {
    const r = refused(await verify(await sign(body({ version: 6, catalog_version: cat('cat-4'), effective_date: '2026-06-02T00:00:00Z' }), pubs), active));
    expect(r.code).toBe('CAP_CATALOG_VERSION_CONFLICT');
    const early = refused(await verify(await sign(body({ version: 6, catalog_version: cat('cat-5'), effective_date: '2026-05-01T00:00:00Z' }), pubs), active));
    expect(early.code).toBe('CAP_CATALOG_VERSION_CONFLICT');
    const future = refused(await verify(await sign(body({ version: 6, catalog_version: cat('cat-5'), effective_date: '2027-01-01T00:00:00Z' }), pubs), active));
    expect(future.code).toBe('CAP_NOT_YET_EFFECTIVE');
  });
});

describe('tier conflicts', () => {
  const withPermit = (scope: string) => `${POLICIES_V1}\n@id("t2-extra")\n@tier("2")\n@cap_rrs_control_id("ops:extra")\npermit (${scope};`;

  it('refuses a Tier 2 permit overlapping a Tier 1 forbid', async () => {
    for (const scope of [
      'principal, action == Action::"delete", resource is Dataset)',
      'principal is Agent, action == Action::"delete", resource)',
      'principal, action, resource == Dataset::"quake-sensors")',
      'principal, action in [Action::"admin"], resource in Folder::"x")',
      // conditions are not analyzed: a condition never makes two policies disjoint
      'principal, action == Action::"delete", resource) when { context.ok == true }',
    ]) {
      const r = refused(await verify(await sign(body({}, withPermit(scope)), pubs)));
      expect(r.code, scope).toBe('CAP_CONFLICT');
      expect(r.detail.conflicts).toEqual([{ permit: 't2-extra', forbid: 't1-no-delete', forbid_tier: '1' }]);
      expect(r.detail.conflict_detected).toBe(true);
    }
  });

  it('accepts a Tier 2 permit that cannot overlap (other action, other resource type)', async () => {
    for (const scope of ['principal, action == Action::"write", resource is Dataset)', 'principal, action == Action::"delete", resource is Report)', 'principal, action, resource == Report::"r1")']) {
      accepted(await verify(await sign(body({}, withPermit(scope)), pubs)));
    }
  });
});

describe('government profile', () => {
  it('needs an @authority_source_uri on every policy', async () => {
    accepted(await verify(await sign(body({ profile_kind: 'government' }), pubs)));
    const without = POLICIES_V1.replace(/@authority_source_uri\("[^"]*lawid=415AC0000000057"\)\n/, '');
    const r = refused(await verify(await sign(body({ profile_kind: 'government' }, without), pubs)));
    expect(r.code).toBe('CAP_AUTHORITY_SOURCE_MISSING');
    expect(r.detail.policies_without_authority_source).toEqual(['t2-read']);
    // the same policies are fine in a standard profile
    accepted(await verify(await sign(body({}, without), pubs)));
  });

  it('a tier 1 policy cites an official law-publication scheme (e-Gov, EUR-Lex, ELI, US Code)', async () => {
    const elsewhere = POLICIES_V1.replace("https://elaws.e-gov.go.jp/document?lawid=415AC0000000057#/Law/LawBody/MainProvision/Article[@Num='17']", 'https://law-commentary.example.com/appi/17');
    const r = refused(await verify(await sign(body({ profile_kind: 'government' }, elsewhere), pubs)));
    expect(r.code).toBe('CAP_AUTHORITY_SOURCE_UNOFFICIAL');
    expect(r.detail.policies_with_unofficial_authority_source).toEqual(['t1-no-delete']);
    // tier 2 may cite anything public; a standard profile is not held to the schemes
    accepted(await verify(await sign(body({}, elsewhere), pubs)));
    for (const uri of ['https://eur-lex.europa.eu/eli/reg/2016/679/oj', 'https://data.europa.eu/eli/reg/2016/679/oj', 'https://uscode.house.gov/view.xhtml?req=granuleid:USC-prelim-title44', 'https://laws.e-gov.go.jp/law/415AC0000000057']) {
      const official = POLICIES_V1.replace("https://elaws.e-gov.go.jp/document?lawid=415AC0000000057#/Law/LawBody/MainProvision/Article[@Num='17']", uri);
      accepted(await verify(await sign(body({ profile_kind: 'government' }, official), pubs)));
    }
    const notEli = POLICIES_V1.replace("https://elaws.e-gov.go.jp/document?lawid=415AC0000000057#/Law/LawBody/MainProvision/Article[@Num='17']", 'https://data.europa.eu/euodp/x');
    expect(refused(await verify(await sign(body({ profile_kind: 'government' }, notEli), pubs))).code).toBe('CAP_AUTHORITY_SOURCE_UNOFFICIAL');
  });

  it('is refused below KEE1-L3 (CAP_CONFORMANCE_LEVEL), accepted under the development switch naming the non-conformance', async () => {
    const gov = await sign(body({ profile_kind: 'government' }), pubs);
    for (const level of ['KEE1-L1', 'KEE1-L2'] as const) {
      const r = refused(await verify(gov, initial, { level, allowNonconformant: false }));
      expect(r.code).toBe('CAP_CONFORMANCE_LEVEL');
      expect(r.detail).toMatchObject({ conformance_level: level, required_conformance_level: 'KEE1-L3' });
    }
    const dev = accepted(await verify(gov, initial, { level: 'KEE1-L1', allowNonconformant: true }));
    expect(dev.nonconformance).toContain('KEE1-L1');
    expect(accepted(await verify(gov, initial, L3)).nonconformance).toBeUndefined();
    // a standard profile is not held to a level
    expect(accepted(await verify(await sign(body({}), pubs), initial, { level: 'KEE1-L1', allowNonconformant: false })).nonconformance).toBeUndefined();
  });

  it('an @authority_source_uri must be a public https uri', async () => {
    const http = POLICIES_V1.replace('https://elaws.e-gov.go.jp/document?lawid=415AC0000000057")', 'http://elaws.e-gov.go.jp/x")');
    expect(refused(await verify(await sign(body({}, http), pubs))).code).toBe('CAP_ANNOTATION_INVALID');
  });
});
