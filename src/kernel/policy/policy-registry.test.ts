import { describe, expect, it } from 'vitest';
import { DEFAULT_CAP_PROFILE } from '../../adapters/cedar/default-profile.ts';
import { MemoryStore } from '../../adapters/memory/store.ts';
import { agentRead, engineFactory, makeHarness } from '../../../test/support/harness.ts';
import { candidate, INVALID_POLICIES, journal, probe, records, withDocument } from '../../../test/support/policy-sets.ts';
import type { PolicyEngine } from '../../ports/policy.ts';
import type { StoredDocument } from '../../ports/storage.ts';
import { isDomainError } from '../errors.ts';

async function session(h: ReturnType<typeof makeHarness>) {
  return h.kernel.openSession('agent-1');
}

describe('kernel.activatePolicy', () => {
  for (const engine of ['kee-policy', 'cedar-wasm'] as const) {
    it(`swaps the set: later decisions use it and name its hash (${engine})`, async () => {
      const h = makeHarness({ engine });
      const s = await session(h);
      const before = await h.kernel.authorize(s.session_id, probe());
      expect(before.decision).toBe('DENY');
      const v0 = h.kernel.activePolicy();
      expect(v0.version).toBe(0);

      const activation = await h.kernel.activatePolicy(candidate(1, { capProfileHash: 'ab'.repeat(32) }));
      expect(activation).toMatchObject({ capProfileId: 'test-profile', version: 1, policyIds: ['probe-permit', 'read', 'set-v1'] });
      expect(activation.cedarPolicyHash).toMatch(/^[0-9a-f]{64}$/);
      expect(activation.cedarPolicyHash).not.toBe(v0.cedarPolicyHash);
      expect(h.kernel.activePolicy()).toMatchObject({ version: 1, cedarPolicyHash: activation.cedarPolicyHash, capProfileHash: 'ab'.repeat(32) });

      // the open session is decided by the new set at once (no pinning)
      const after = await h.kernel.authorize(s.session_id, probe());
      expect(after).toMatchObject({ decision: 'PERMIT', policy_ids: ['probe-permit'], cedar_policy_hash: activation.cedarPolicyHash });
      expect(records(h, s.session_id).map((r) => [r.cap_profile_version, r.cap_profile_hash])).toEqual([[0, undefined], [0, null], [1, 'ab'.repeat(32)]]);

      const rec = journal(h).find((r) => r.ale_type === 'CAP_CATALOG_ACTIVATED');
      expect(rec).toMatchObject({
        ale_number: 'ALE-DIST-04',
        trigger: 'update',
        cap_profile_id: 'test-profile',
        cap_profile_version: 1,
        cap_profile_hash: 'ab'.repeat(32),
        cedar_policy_hash: activation.cedarPolicyHash,
        previous_cap_profile_id: v0.capProfileId,
        previous_cap_profile_version: 0,
        previous_cedar_policy_hash: v0.cedarPolicyHash,
        previous_cap_profile_hash: null,
        document_seq: null,
        activated_at: activation.activatedAt,
      });
    });
  }

  it('rejects a set that does not parse, keeps the old one serving, and records the rejection', async () => {
    const h = makeHarness();
    await h.kernel.activatePolicy(candidate(1));
    const active = h.kernel.activePolicy();
    const err = await h.kernel.activatePolicy({ ...candidate(2), policies: INVALID_POLICIES }).catch((e) => e);
    expect(isDomainError(err, 'INVALID_INPUT')).toBe(true);
    expect(h.kernel.activePolicy()).toEqual(active);
    const s = await session(h);
    expect((await h.kernel.authorize(s.session_id, probe())).cedar_policy_hash).toBe(active.cedarPolicyHash);
    const rejected = journal(h).filter((r) => r.event_type === 'POLICY_ACTIVATION_REJECTED');
    expect(rejected).toHaveLength(1);
    expect(rejected[0]).toMatchObject({ ale_type: 'KERNEL_AUDIT_ANOMALY', code: 'INVALID_INPUT', candidate_version: 2, active_version: 1, active_cedar_policy_hash: active.cedarPolicyHash });
    expect(rejected[0]!.reason).toContain('does not parse');
  });

  it('rejects a set that does not validate against its schema', async () => {
    const h = makeHarness();
    const schema = 'entity Agent; entity Dataset; action read appliesTo { principal: Agent, resource: Dataset };';
    const ok = await h.kernel.activatePolicy({ capProfileId: 'schema', version: 1, schema, policies: '@id("r") permit (principal, action == Action::"read", resource);' });
    expect(ok.version).toBe(1);
    const err = await h.kernel
      .activatePolicy({ capProfileId: 'schema', version: 2, schema, policies: '@id("r") permit (principal, action == Action::"read", resource) when { principal.clearance > 2 };' })
      .catch((e) => e);
    expect(isDomainError(err, 'INVALID_INPUT')).toBe(true);
    expect(h.kernel.activePolicy().version).toBe(1);
  });

  it('refuses a lower or equal version as CAP_ROLLBACK, re-checked under the lock for concurrent activations', async () => {
    const h = makeHarness();
    await h.kernel.activatePolicy(candidate(3));
    for (const v of [3, 2]) {
      const err = await h.kernel.activatePolicy(candidate(v)).catch((e) => e);
      expect(isDomainError(err, 'CAP_ROLLBACK')).toBe(true);
    }
    // submitted together: 5 is activated first, so 4 (verified against 3 by its caller) is a rollback
    const [five, four] = await Promise.allSettled([h.kernel.activatePolicy(candidate(5)), h.kernel.activatePolicy(candidate(4))]);
    expect(five.status).toBe('fulfilled');
    expect(four.status === 'rejected' && isDomainError(four.reason, 'CAP_ROLLBACK')).toBe(true);
    expect(h.kernel.activePolicy().version).toBe(5);
    const codes = journal(h).filter((r) => r.event_type === 'POLICY_ACTIVATION_REJECTED').map((r) => [r.code, r.candidate_version]);
    expect(codes).toEqual([['CAP_ROLLBACK', 3], ['CAP_ROLLBACK', 2], ['CAP_ROLLBACK', 4]]);
  });

  it('refuses malformed candidates with INVALID_INPUT', async () => {
    const h = makeHarness();
    for (const bad of [{ ...candidate(1), version: 0 }, { ...candidate(1), version: 1.5 }, { ...candidate(1), capProfileId: '' }]) {
      expect(isDomainError(await h.kernel.activatePolicy(bad).catch((e) => e), 'INVALID_INPUT')).toBe(true);
    }
    expect(h.kernel.activePolicy().version).toBe(0);
  });

  it('stores the accepted document (seq 1, 2, …) before the swap', async () => {
    const h = makeHarness();
    await h.kernel.activatePolicy(withDocument(candidate(1)));
    await h.kernel.activatePolicy(candidate(2));
    await h.kernel.activatePolicy(withDocument(candidate(3)));
    expect(h.store.rawDocument('cap_profile', 1)).toMatchObject({ docId: 'doc-v1', body: JSON.stringify(candidate(1)) });
    expect(h.store.rawDocument('cap_profile', 2)).toMatchObject({ docId: 'doc-v3' });
    const recs = journal(h).filter((r) => r.ale_type === 'CAP_CATALOG_ACTIVATED');
    expect(recs.map((r) => [r.cap_profile_version, r.document_seq, r.doc_id])).toEqual([[1, 1, 'doc-v1'], [2, null, null], [3, 2, 'doc-v3']]);
    // each record chains old -> new
    expect(recs[1]!.previous_cedar_policy_hash).toBe(recs[0]!.cedar_policy_hash);
    expect(recs[2]!.previous_cedar_policy_hash).toBe(recs[1]!.cedar_policy_hash);
  });

  it('does not swap when the document cannot be stored', async () => {
    const store = new (class extends MemoryStore {
      failDocuments = false;
      override async putDocument(doc: StoredDocument): Promise<void> {
        if (this.failDocuments) throw new Error('disk full');
        return super.putDocument(doc);
      }
    })();
    const h = makeHarness({ store });
    await h.kernel.activatePolicy(withDocument(candidate(1)));
    store.failDocuments = true;
    const err = await h.kernel.activatePolicy(withDocument(candidate(2))).catch((e) => e);
    expect(isDomainError(err, 'GAR_UNAVAILABLE')).toBe(true);
    expect(h.kernel.activePolicy().version).toBe(1);
    expect(journal(h).filter((r) => r.ale_type === 'CAP_CATALOG_ACTIVATED')).toHaveLength(1);
    expect(journal(h).at(-1)).toMatchObject({ event_type: 'POLICY_ACTIVATION_REJECTED', code: 'GAR_UNAVAILABLE', candidate_version: 2 });
    store.failDocuments = false;
    expect((await h.kernel.activatePolicy(withDocument(candidate(2)))).version).toBe(2);
    expect(h.store.rawDocument('cap_profile', 2)?.docId).toBe('doc-v2');
  });

  it('does not swap when the activation record cannot be written', async () => {
    const store = new MemoryStore();
    const h = makeHarness({ store });
    await session(h);
    await h.kernel.activatePolicy(candidate(1)); // opens the journal
    store.failWith = new Error('disk I/O error');
    const err = await h.kernel.activatePolicy(candidate(2)).catch((e) => e);
    expect(isDomainError(err, 'GAR_UNAVAILABLE')).toBe(true);
    expect(h.kernel.activePolicy().version).toBe(1);
    store.failWith = null;
  });

  it('releases the old engine only after the swap, and a rejected candidate engine at once', async () => {
    const disposed: string[] = [];
    const tracked = (label: string, engine: PolicyEngine): PolicyEngine => ({
      evaluate: (r) => engine.evaluate(r),
      active: () => engine.active(),
      dispose: () => {
        disposed.push(label);
        engine.dispose?.();
      },
    });
    const factory = engineFactory();
    let n = 0;
    const h = makeHarness({ deps: { policy: tracked('v0', factory.load(candidate(1))), policyFactory: { load: (s) => tracked(`v${++n}`, factory.load(s)) } } });
    await h.kernel.activatePolicy(candidate(1));
    expect(disposed).toEqual(['v0']);
    await h.kernel.activatePolicy(candidate(2));
    expect(disposed).toEqual(['v0', 'v1']);
    h.kernel.onPolicyEpoch(async () => {
      throw new Error('manifest signer offline');
    });
    await h.kernel.activatePolicy(candidate(3)).catch(() => undefined);
    expect(disposed).toEqual(['v0', 'v1', 'v3']);
    expect(h.kernel.activePolicy().version).toBe(2);
  });

  it('refuses a concurrent activation with CONFLICT when requests may not wait on each other (workerd)', async () => {
    const h = makeHarness({ deps: { options: { groupCommit: false } } });
    const [a, b] = await Promise.allSettled([h.kernel.activatePolicy(candidate(1)), h.kernel.activatePolicy(candidate(2))]);
    expect(a.status).toBe('fulfilled');
    expect(b.status === 'rejected' && isDomainError(b.reason, 'CONFLICT')).toBe(true);
    expect((await h.kernel.activatePolicy(candidate(2))).version).toBe(2);
  });
});

describe('policy epoch hooks', () => {
  it('prepares while the old set serves, then swaps and commits in one turn', async () => {
    const h = makeHarness();
    const s = await session(h);
    const seen: string[] = [];
    h.kernel.onPolicyEpoch(async (next) => {
      seen.push(`prepare v${next.version} ${next.capProfileHash ?? '-'} ${next.policyIds.join(',')}`);
      // meanwhile, decisions are still made by the old set
      const during = await h.kernel.authorize(s.session_id, probe());
      seen.push(`during ${during.decision}`);
      return () => seen.push(`commit sees v${h.kernel.activePolicy().version}`);
    });
    h.kernel.onPolicyEpoch(async (next) => () => seen.push(`second commit v${next.version}`));
    await h.kernel.activatePolicy(candidate(1, { capProfileHash: 'cd'.repeat(32) }));
    expect(seen).toEqual([`prepare v1 ${'cd'.repeat(32)} probe-permit,read,set-v1`, 'during DENY', 'commit sees v1', 'second commit v1']);
    expect((await h.kernel.authorize(s.session_id, probe())).decision).toBe('PERMIT');
  });

  it('a failing prepare swaps nothing, stores nothing, and is recorded', async () => {
    const h = makeHarness();
    let committed = 0;
    h.kernel.onPolicyEpoch(async () => () => committed++);
    h.kernel.onPolicyEpoch(async (next) => {
      if (next.version === 2) throw new Error('manifest signer offline');
      return () => undefined;
    });
    await h.kernel.activatePolicy(withDocument(candidate(1)));
    const err = await h.kernel.activatePolicy(withDocument(candidate(2))).catch((e) => e);
    expect(isDomainError(err, 'UNAVAILABLE')).toBe(true);
    expect(err.message).toContain('manifest signer offline');
    expect(committed).toBe(1);
    expect(h.kernel.activePolicy().version).toBe(1);
    expect(h.store.rawDocument('cap_profile', 2)).toBeUndefined();
    expect(journal(h).at(-1)).toMatchObject({ event_type: 'POLICY_ACTIVATION_REJECTED', code: 'UNAVAILABLE', candidate_version: 2 });
  });

  it('a failing commit after the swap puts the kernel in DENY_ALL (the manifest may disagree with the live set)', async () => {
    const h = makeHarness();
    h.kernel.onPolicyEpoch(async () => () => {
      throw new Error('manifest slot full');
    });
    await h.kernel.activatePolicy(candidate(1));
    expect(h.kernel.state.has('DENY_ALL')).toBe(true);
    expect(h.kernel.state.reason('DENY_ALL')).toContain('manifest slot full');
    const s = await session(h);
    const r = await h.kernel.authorize(s.session_id, agentRead());
    expect(r.decision).toBe('DENY');
    expect(r.reasons[0]).toContain('DENY_ALL');
  });
});

describe('warm-up before the swap (issue 13)', () => {
  for (const engine of ['kee-policy', 'cedar-wasm'] as const) {
    it(`warms the initial set at start and each candidate before anything is prepared, recorded or swapped (${engine})`, async () => {
      const events: string[] = [];
      const factory = engineFactory(engine);
      let kernel: { activePolicy(): { version: number } } | null = null;
      const spied = (label: string, real: PolicyEngine): PolicyEngine => ({
        evaluate: (r) => {
          events.push(`${label} evaluate`);
          return real.evaluate(r);
        },
        active: () => real.active(),
        rehash: () => real.rehash?.() ?? '',
        // the real engine's warm-up runs (and must pass its known answer) while the old set serves
        warm: () => {
          events.push(`${label} warm, serving v${kernel?.activePolicy().version ?? '-'}`);
          real.warm?.();
        },
        dispose: () => real.dispose?.(),
      });
      let n = 0;
      const h = makeHarness({ start: false, deps: { policy: spied('v0', factory.load(DEFAULT_CAP_PROFILE)), policyFactory: { load: (s) => spied(`v${++n}`, factory.load(s)) } } });
      kernel = h.kernel;
      h.kernel.onPolicyEpoch(async (next) => {
        events.push(`prepare v${next.version}`);
        return () => events.push(`swap v${next.version}`);
      });
      await h.kernel.start();
      expect(events).toEqual(['v0 warm, serving v0']);
      const s = await session(h);
      await h.kernel.activatePolicy(candidate(1));
      await h.kernel.authorize(s.session_id, probe());
      expect(events).toEqual(['v0 warm, serving v0', 'v1 warm, serving v0', 'prepare v1', 'swap v1', 'v1 evaluate']);
      // the activation record is written after the warm-up too (it names the set that will serve)
      expect(journal(h).filter((r) => r.ale_type === 'CAP_CATALOG_ACTIVATED')).toHaveLength(1);
    });
  }

  it('refuses a candidate whose warm-up fails (fail closed): nothing prepared, stored or swapped; recorded; the candidate released', async () => {
    const factory = engineFactory();
    let failWarmUp = true;
    const disposed: string[] = [];
    const h = makeHarness({
      deps: {
        policyFactory: {
          load: (s) => {
            const real = factory.load(s);
            return {
              evaluate: (r) => real.evaluate(r),
              active: () => real.active(),
              warm: () => {
                if (failWarmUp) throw new WebAssembly.RuntimeError('unreachable');
                real.warm?.();
              },
              dispose: () => {
                disposed.push(s.capProfileId);
                real.dispose?.();
              },
            };
          },
        },
      },
    });
    await h.started;
    let prepared = 0;
    h.kernel.onPolicyEpoch(async () => {
      prepared++;
      return () => undefined;
    });
    const before = h.kernel.activePolicy();
    const err = await h.kernel.activatePolicy(withDocument(candidate(1))).catch((e) => e);
    expect(isDomainError(err, 'UNAVAILABLE')).toBe(true);
    expect(err.message).toBe('policy engine failed its warm-up: unreachable');
    expect(h.kernel.activePolicy()).toEqual(before);
    expect(prepared).toBe(0);
    expect(disposed).toEqual(['test-profile']);
    expect(h.store.rawDocument('cap_profile', 1)).toBeUndefined();
    expect(journal(h).filter((r) => r.ale_type === 'CAP_CATALOG_ACTIVATED')).toHaveLength(0);
    expect(journal(h).at(-1)).toMatchObject({ event_type: 'POLICY_ACTIVATION_REJECTED', code: 'UNAVAILABLE', candidate_version: 1, reason: 'policy engine failed its warm-up: unreachable' });
    // the set still serving decides as before
    const s = await session(h);
    expect((await h.kernel.authorize(s.session_id, agentRead())).decision).toBe('PERMIT');
    failWarmUp = false;
    expect((await h.kernel.activatePolicy(withDocument(candidate(1)))).version).toBe(1);
  });

  it('an initial set that fails its warm-up at start puts the kernel in DENY_ALL, recorded, with no activation until a restart', async () => {
    const real = engineFactory().load(DEFAULT_CAP_PROFILE);
    const initial: PolicyEngine = {
      evaluate: (r) => real.evaluate(r),
      active: () => real.active(),
      warm: () => {
        throw new Error('the warm-up request was answered DENY');
      },
    };
    const h = makeHarness({ deps: { policy: initial } });
    await h.started;
    expect(h.kernel.state.has('DENY_ALL')).toBe(true);
    expect(h.kernel.state.reason('DENY_ALL')).toBe('the initial policy set failed its warm-up: policy engine failed its warm-up: the warm-up request was answered DENY');
    expect(journal(h).find((r) => r.event_type === 'POLICY_WARM_UP_FAILED')).toMatchObject({ cedar_policy_hash: real.active().cedarPolicyHash });
    const s = await session(h);
    const r = await h.kernel.authorize(s.session_id, agentRead());
    expect(r.decision).toBe('DENY');
    expect(isDomainError(await h.kernel.activatePolicy(candidate(1)).catch((e) => e), 'UNAVAILABLE')).toBe(true);
    expect(h.kernel.activePolicy().version).toBe(0);
  });
});
