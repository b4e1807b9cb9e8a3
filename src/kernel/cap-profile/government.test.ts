/**
 * A government CAP Profile requires KEE1-L3 (digest 4.8): a KEE1-L1 kernel refuses it
 * (CAP_CONFORMANCE_LEVEL, recorded), unless KEE_ALLOW_NONCONFORMANT is set, and then the GEC
 * Manifest of the epoch says the deployment is non-conformant. A KEE1-L3 kernel (hardware-backed
 * signer) takes it with a clean manifest. The built-in profile and the repository's sample
 * profiles cite official law-publication schemes on every Tier 1 policy.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_CAP_PROFILE } from '../../adapters/cedar/default-profile.ts';
import { Ed25519Signer } from '../../adapters/noble/ed25519.ts';
import type { Signer } from '../../ports/signer.ts';
import { makeHarness } from '../../../test/support/harness.ts';
import { body, capProfileDeps, journal, makePublishers, sign, type Publisher } from '../../../test/support/cap-profile.ts';
import { scanPolicies } from '../policy/provenance.ts';
import { governmentNonconformance, isOfficialAuthorityUri, unofficialTier1 } from './conformance.ts';

let pubs: Publisher[];
beforeAll(async () => {
  pubs = await makePublishers(3);
});

/** An Ed25519 signer that declares hardware-backed keys (what an HSM-backed signer would). */
function hardwareSigner(): Signer {
  const inner = new Ed25519Signer(Ed25519Signer.generateSeed());
  return {
    algorithm: inner.algorithm,
    publicKey: () => inner.publicKey(),
    describe: () => ({ ...inner.describe(), hardware_backed: true }),
    sign: (m) => inner.sign(m),
  };
}

const manifest = async (h: ReturnType<typeof makeHarness>) => JSON.parse((await h.call('GET', '/v1/manifest')).text);

describe('government profile and the conformance level', () => {
  it('a KEE1-L1 kernel refuses it with CAP_CONFORMANCE_LEVEL, records the refusal and keeps serving the old set', async () => {
    const h = makeHarness({ deps: { capProfile: capProfileDeps(pubs) } });
    const res = await h.call('PUT', '/v1/cap-profile', await sign(body({ profile_kind: 'government' }), pubs));
    expect(res.status).toBe(409);
    expect(res.json).toMatchObject({ code: 'CAP_CONFORMANCE_LEVEL' });
    expect(res.json.detail).toContain('KEE1-L3');
    expect((await h.call('GET', '/v1/cap-profile')).json).toMatchObject({ version: 0 });
    const refusal = (await journal(h.store)).find((e) => e.ale_type === 'CAP_PROFILE_REFUSED');
    expect(refusal).toMatchObject({ code: 'CAP_CONFORMANCE_LEVEL', detail: { conformance_level: 'KEE1-L1', required_conformance_level: 'KEE1-L3' } });
    expect((await manifest(h)).conformance_exceptions).toBeUndefined();
  });

  it('under KEE_ALLOW_NONCONFORMANT it is activated and the manifest says the deployment is non-conformant', async () => {
    const h = makeHarness({ deps: { capProfile: capProfileDeps(pubs), options: { allowNonconformant: true } } });
    expect((await manifest(h)).conformance_exceptions).toBeUndefined();
    const res = await h.call('PUT', '/v1/cap-profile', await sign(body({ profile_kind: 'government' }), pubs));
    expect(res.status).toBe(200);
    const m = await manifest(h);
    expect(m).toMatchObject({ conformance_level: 'KEE1-L1', cap_profile_version: 1 });
    expect(m.conformance_exceptions).toEqual([expect.stringContaining('government CAP Profile on a KEE1-L1 deployment')]);
    const activated = (await journal(h.store)).find((e) => e.ale_type === 'CAP_CATALOG_ACTIVATED');
    expect(activated?.conformance_exception).toContain('KEE1-L3');
    // a standard profile after it: conformant again
    const next = await sign(body({ version: 2, catalog_version: { version_id: 'cat-2', supersedes: 'cat-1', published_by: 't', published_at: '2026-01-01T00:00:00Z' } }), pubs);
    expect((await h.call('PUT', '/v1/cap-profile', next)).status).toBe(200);
    expect((await manifest(h)).conformance_exceptions).toBeUndefined();
  });

  it('the level checked is the one the kernel computes from what runs: nothing here reaches KEE1-L3, so a kernel required to be L3 does not start; an L3 deployment would be conformant', async () => {
    const h = makeHarness({ signer: hardwareSigner(), deps: { capProfile: capProfileDeps(pubs), manifest: { kernelVersion: '0.0.0-test', wasmModules: {}, conformanceLevel: 'KEE1-L3' } } });
    await expect(h.started).rejects.toThrow(/conformance level `KEE1-L3` is required but the deployment is KEE1-L1/);
    expect(governmentNonconformance({ level: 'KEE1-L3', allowNonconformant: false })).toBeNull();
    expect(governmentNonconformance({ level: 'KEE1-L2', allowNonconformant: false })).toContain('requires KEE1-L3');
  });

  it('the built-in profile and the sample government profiles cite official schemes on every tier 1 policy', () => {
    const dir = join(import.meta.dirname, '../../../examples/profiles');
    const gov = readdirSync(dir).filter((f) => f.endsWith('.cedar') && f.includes('-gov-'));
    expect(gov.length).toBeGreaterThan(1);
    const sets = [DEFAULT_CAP_PROFILE.policies, ...gov.map((f) => readFileSync(join(dir, f), 'utf8'))];
    let tier1 = 0;
    for (const text of sets) {
      const policies = scanPolicies(text).map((p) => ({ id: p.id, annotations: p.annotations }));
      tier1 += policies.filter((p) => p.annotations.tier === '1').length;
      expect(unofficialTier1(policies)).toEqual([]);
    }
    expect(tier1).toBeGreaterThanOrEqual(4);
    expect(isOfficialAuthorityUri('https://elaws.e-gov.go.jp.evil.example/document')).toBe(false);
    expect(isOfficialAuthorityUri('http://elaws.e-gov.go.jp/document?lawid=1')).toBe(false);
  });
});
