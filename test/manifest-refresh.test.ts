/**
 * GEC Manifest freshness and the kernel's own conformance requirements (docs/acd.md,
 * docs/attestation.md): the manifest is re-issued (next epoch, same serving set) before ACD
 * Check 1 finds it stale, on the housekeeping timer or lazily on the ACD request, under the
 * policy activation mutex; P3 and P8 are listed in `conformance_unmet` and /healthz when unmet.
 */
import { describe, expect, it } from 'vitest';
import { DEFAULT_CAP_PROFILE } from '../src/adapters/cedar/default-profile.ts';
import { KERNEL_REQUIREMENTS, P3_ACD, P8_REVOCATION, kernelRequirements, liveConformance } from '../src/kernel/conformance/kernel-requirements.ts';
import { computeConformance, unmet } from '../src/kernel/conformance/level.ts';
import { MemoryStore } from '../src/adapters/memory/store.ts';
import type { SetVerifier } from '../src/ports/set-verifier.ts';
import { agentKeyPair } from './support/agent-auth.ts';
import { agentRead, engineFactory, makeHarness } from './support/harness.ts';

const PROFILE = { operator_id: 'urn:soos:kia:example-operator:jp:v1', primary_jurisdiction: 'JP' };
const HOUR = 3_600_000;

function manualClock(start = Date.now()) {
  let now = start;
  return { nowIso: () => new Date(now).toISOString(), advance: (ms: number) => void (now += ms) };
}

async function setup(options: Parameters<typeof makeHarness>[0] = {}) {
  const h = makeHarness({ ...options, deps: { ...options.deps, options: { acd: { profile: PROFILE }, ...options.deps?.options } } });
  await h.started;
  const key = await agentKeyPair();
  await h.kernel.registerAgent({ agent_id: 'a1', public_keys: [key.jwk] }, 'op');
  const session = await h.kernel.openSession('a1');
  const ask = () => h.call('GET', `/.well-known/soos-acd?aep_session_id=${session.session_id}`, undefined, { accept: 'application/soos-acd+json' });
  const manifest = async () => (await h.call('GET', '/v1/manifest')).json as { epoch: number; issued_at: string; cedar_policy_hash: string; cap_profile_version: number; conformance_level: string; conformance_unmet: { requirement: string; level: string; reason: string }[] };
  const journal = async () => {
    const out: Record<string, unknown>[] = [];
    for (const status of ['OPEN', 'CLOSING', 'CLOSED'] as const) {
      for (const k of (await h.store.sessionsWithStatus(status, 1000)).filter((x) => x.agent_id === 'kee-kernel')) out.push(...(await h.store.listRecords(k.session_id)).map((r) => JSON.parse(r.canonical) as Record<string, unknown>));
    }
    return out;
  };
  return { h, session, ask, manifest, journal };
}

const candidate = (version: number) => ({ capProfileId: DEFAULT_CAP_PROFILE.capProfileId, version, policies: `${DEFAULT_CAP_PROFILE.policies}\n@id("extra-${version}")\n@tier("2")\nforbid(principal, action == Action::"delete", resource);\n` });

describe('GEC Manifest freshness', () => {
  it('23 h after the last manifest an ACD request still passes Check 1: it re-issues the manifest first (next epoch, same set)', async () => {
    const clock = manualClock();
    const s = await setup({ deps: { clock } });
    const first = await s.manifest();
    clock.advance(23 * HOUR);
    const r = await s.ask();
    expect(r.status, r.text).toBe(200);
    const next = await s.manifest();
    expect(next.epoch).toBe(first.epoch + 1);
    expect(next.issued_at).toBe(clock.nowIso());
    expect(next.cedar_policy_hash).toBe(first.cedar_policy_hash);
    expect(JSON.parse(r.text).gec_manifest_ref).not.toBe(undefined);
    const reissued = (await s.journal()).filter((e) => e.event_type === 'GEC_MANIFEST_REISSUED' || e.ale_type === 'GEC_MANIFEST_REISSUED');
    expect(reissued).toHaveLength(1);
    expect(reissued[0]).toMatchObject({ epoch: next.epoch });
    expect(String(reissued[0]?.reason)).toMatch(/half the 86400 s staleness window/);
    // the record that follows names the manifest now in force; a second request re-issues nothing
    expect((await s.ask()).status).toBe(200);
    expect((await s.manifest()).epoch).toBe(next.epoch);
  });

  it('the housekeeping tick re-issues at half the staleness window, not before', async () => {
    const clock = manualClock();
    const s = await setup({ deps: { clock, options: { acd: { profile: PROFILE, manifestMaxAgeSeconds: 600 } } } });
    const first = await s.manifest();
    clock.advance(299_000);
    await s.h.kernel.tick();
    expect((await s.manifest()).epoch).toBe(first.epoch);
    clock.advance(2_000);
    await s.h.kernel.tick();
    expect((await s.manifest()).epoch).toBe(first.epoch + 1);
    // two windows later, ticks every half window: Check 1 never fails
    for (let i = 0; i < 4; i++) {
      clock.advance(300_000);
      await s.h.kernel.tick();
      expect((await s.ask()).status).toBe(200);
    }
  });

  for (const mode of ['queued (node, bun, deno)', 'refused when busy (workerd)'] as const) {
    it(`concurrent activations and re-issues stay consistent: ${mode}`, async () => {
      const clock = manualClock();
      const s = await setup({ deps: { clock, options: { acd: { profile: PROFILE }, ...(mode.startsWith('refused') ? { groupCommit: false } : {}) } } });
      clock.advance(13 * HOUR);
      const results = await Promise.allSettled([s.h.kernel.activatePolicy(candidate(1)), s.h.kernel.refreshManifest(), s.ask(), s.h.kernel.activatePolicy(candidate(2)), s.h.kernel.refreshManifest(), s.ask()]);
      const refusals = results.filter((r) => r.status === 'rejected').map((r) => (r as PromiseRejectedResult).reason?.code);
      // without queueing the loser of the mutex is refused CONFLICT, nothing else
      expect(refusals.every((c) => c === 'CONFLICT')).toBe(true);
      if (mode.startsWith('queued')) expect(refusals).toEqual([]);
      expect(s.h.kernel.state.has('MANIFEST_INTEGRITY_FAILURE')).toBe(false);
      expect(s.h.kernel.health().state).toBe('NORMAL');
      const m = await s.manifest();
      const live = s.h.kernel.activePolicy();
      expect(m.cedar_policy_hash).toBe(live.cedarPolicyHash);
      expect(m.cap_profile_version).toBe(live.version);
      // the chain is whole: every epoch stored once
      const docs = await s.h.store.listDocuments('gec_manifest', 1, 100);
      expect(docs.map((d) => d.seq)).toEqual(docs.map((_, i) => i + 1));
      expect(docs.at(-1)?.seq).toBe(m.epoch);
      // the next decisions and handshake agree with it
      const fresh = await s.h.kernel.openSession('a1');
      expect((await s.h.kernel.authorize(fresh.session_id, agentRead('a1'))).decision).toBe('PERMIT');
      expect((await s.ask()).status).toBe(200);
      expect(s.h.kernel.state.has('MANIFEST_INTEGRITY_FAILURE')).toBe(false);
    });
  }
});

describe('GEC Manifest freshness, two kernels on one store', () => {
  it('a re-issue whose epoch another instance took joins that epoch and takes the next; neither kernel fails closed', async () => {
    const clock = manualClock();
    const store = new MemoryStore();
    const a = await setup({ store, deps: { clock } });
    const b = makeHarness({ store, signer: a.h.signer, deps: { clock, options: { acd: { profile: PROFILE } } } });
    await b.started;
    const before = (await store.latestDocument('gec_manifest'))?.seq ?? 0;
    clock.advance(13 * HOUR);
    // a issued epoch 1, b epoch 2: a's next epoch (2) is taken
    expect(await a.h.kernel.refreshManifest()).toMatch(/staleness window/);
    expect(await b.kernel.refreshManifest()).toMatch(/staleness window/);
    const docs = await store.listDocuments('gec_manifest', 1, 100);
    expect(docs.map((d) => d.seq)).toEqual([...Array(before + 2).keys()].map((i) => i + 1));
    for (const k of [a.h, b]) {
      expect(k.kernel.state.has('MANIFEST_INTEGRITY_FAILURE')).toBe(false);
      expect((await k.call('GET', '/v1/manifest')).status).toBe(200);
    }
    expect((await a.ask()).status).toBe(200);
  });
});

const brokenFetch: typeof fetch = () => Promise.reject(new Error('connection refused'));
const noSets: SetVerifier = { peekIssuer: () => null, verify: () => Promise.reject(new Error('no SET')) };

describe('P3 and P8 conformance requirements (issue 21 hook)', () => {
  it('an unhealthy SSF receiver stream lists P8 unmet on /healthz and, re-issued, in the manifest', async () => {
    const clock = manualClock();
    const s = await setup({
      deps: { clock, fetch: brokenFetch, setVerifier: noSets, options: { acd: { profile: PROFILE }, revocation: { transmitters: [{ config_url: 'http://peer.invalid/.well-known/ssf-configuration', delivery: 'poll' }], tickMs: 0, unhealthyAfterMs: 5_000 } } },
    });
    const first = await s.manifest();
    expect(first.conformance_unmet.map((u) => u.requirement)).not.toContain(P8_REVOCATION);
    expect(s.h.kernel.health().conformance?.unmet.map((u) => u.requirement)).not.toContain(P8_REVOCATION);
    clock.advance(6_000);
    const health = (await s.h.call('GET', '/healthz')).json;
    expect(health.conformance.level).toBe('KEE1-L1');
    expect(health.conformance.unmet).toContainEqual({ requirement: P8_REVOCATION, level: 'KEE1-L1', reason: expect.stringMatching(/^an SSF receiver stream is unhealthy: the SSF stream from .* is never heard from/) });
    // the requirement changed since the manifest was issued: the next tick re-issues it
    await s.h.kernel.tick();
    const next = await s.manifest();
    expect(next.epoch).toBe(first.epoch + 1);
    expect(next.conformance_level).toBe('KEE1-L1');
    expect(next.conformance_unmet.find((u) => u.requirement === P8_REVOCATION)?.reason).toMatch(/SSF receiver stream is unhealthy/);
    // unchanged since: no further epoch
    clock.advance(61_000);
    await s.h.kernel.tick();
    expect((await s.manifest()).epoch).toBe(next.epoch);
  });

  it('a failed ACD check at start lists P3 unmet: the manifest issued before the check is re-issued', async () => {
    const policy = engineFactory().load(DEFAULT_CAP_PROFILE);
    (policy.source?.() as { policies: string }).policies += '\n@id("smuggled")\n@tier("2")\npermit(principal, action, resource);\n';
    const h = makeHarness({ deps: { policy, options: { acd: { profile: PROFILE } } } });
    await h.started;
    expect(h.kernel.health().state).toBe('DENY_ALL');
    const m = (await h.call('GET', '/v1/manifest')).json;
    expect(m.epoch).toBe(2);
    expect(m.conformance_unmet.find((u: { requirement: string }) => u.requirement === P3_ACD)?.reason).toMatch(/^the ACD four-check sequence failed at start \(check 2\)/);
    expect(h.kernel.health().conformance?.unmet.map((u) => u.requirement)).toContain(P3_ACD);
  });

  it('a deployment meeting every KEE1-L2 requirement cannot claim it while P3 or P8 is unmet', () => {
    const l2 = { store: 'postgres' as const, signer: 'frost-sidecars' as const, attestations: [{ participant: 1, status: 'verified', chain: 'verified' }] as never };
    const healthy = kernelRequirements({ acdStartup: () => null, revocationLoaded: () => true, revocationUnconfirmed: () => null });
    expect(computeConformance({ ...l2, extra: healthy }).level).toBe('KEE1-L2');
    const stream = kernelRequirements({ acdStartup: () => null, revocationLoaded: () => true, revocationUnconfirmed: () => 'the SSF stream from https://peer is silent for 40 s (bound 30 s)' });
    const c = computeConformance({ ...l2, extra: stream });
    expect(c.level).toBe('KEE1-L1');
    expect(unmet(c)).toEqual([{ requirement: P8_REVOCATION, level: 'KEE1-L1', reason: 'an SSF receiver stream is unhealthy: the SSF stream from https://peer is silent for 40 s (bound 30 s)' }]);
    const unloaded = kernelRequirements({ acdStartup: () => null, revocationLoaded: () => false, revocationUnconfirmed: () => null });
    expect(unmet(computeConformance({ ...l2, extra: unloaded }))[0]?.reason).toMatch(/revocation registry has not been loaded/);
    const acd = kernelRequirements({ acdStartup: () => ({ failedCheck: 3, reason: 'quorum lost' }), revocationLoaded: () => true, revocationUnconfirmed: () => null });
    expect(computeConformance({ ...l2, extra: acd }).level).toBe('KEE1-L1');
    // /healthz: a manifest issued at L2 is served as L1 once P8 is unmet now
    expect(liveConformance({ level: 'KEE1-L2', unmet: [] }, stream)).toEqual({ level: 'KEE1-L1', unmet: unmet(c) });
    expect(liveConformance({ level: 'KEE1-L2', unmet: [{ requirement: P8_REVOCATION, level: 'KEE1-L1', reason: 'old' }] }, healthy)).toEqual({ level: 'KEE1-L2', unmet: [] });
    expect(KERNEL_REQUIREMENTS).toEqual([P3_ACD, P8_REVOCATION]);
  });
});
