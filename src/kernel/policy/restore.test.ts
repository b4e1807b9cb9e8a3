import { describe, expect, it } from 'vitest';
import { MemoryStore } from '../../adapters/memory/store.ts';
import { agentRead, makeHarness } from '../../../test/support/harness.ts';
import { candidate, journal, probe, reloadFromBody, withDocument } from '../../../test/support/policy-sets.ts';
import { isDomainError } from '../errors.ts';

/** A store holding the profile activated (with its document) by an earlier kernel. */
async function storeWithProfile(version = 3): Promise<{ store: MemoryStore; hash: string }> {
  const store = new MemoryStore();
  const first = makeHarness({ store });
  const a = await first.kernel.activatePolicy(withDocument(candidate(version)));
  return { store, hash: a.cedarPolicyHash };
}

describe('kernel.start: restoring the active CAP Profile', () => {
  it('with no stored profile, the built-in profile stays active as version 0', async () => {
    const h = makeHarness();
    await h.kernel.start();
    expect(h.kernel.activePolicy()).toMatchObject({ version: 0, capProfileId: 'kee-disaster-response-gov-v1.0' });
    expect((await h.call('GET', '/healthz')).json.state).toBe('NORMAL');
  });

  it('re-verifies and activates the latest stored profile, recorded as a restart activation', async () => {
    const { store, hash } = await storeWithProfile(3);
    const checked: number[] = [];
    const h = makeHarness({
      store,
      deps: {
        reloadCapProfile: async (doc) => {
          checked.push(doc.seq);
          return reloadFromBody(doc);
        },
      },
    });
    await h.kernel.start();
    expect(checked).toEqual([1]);
    expect(h.kernel.activePolicy()).toMatchObject({ version: 3, cedarPolicyHash: hash });
    const s = await h.kernel.openSession('a');
    expect(await h.kernel.authorize(s.session_id, probe())).toMatchObject({ decision: 'PERMIT', cedar_policy_hash: hash });
    const restart = journal(h).filter((r) => r.ale_type === 'CAP_CATALOG_ACTIVATED').at(-1);
    expect(restart).toMatchObject({ trigger: 'restart', cap_profile_version: 3, document_seq: 1, doc_id: 'doc-v3', previous_cap_profile_version: 0 });
    // no second copy of the document; the next activation continues the sequence
    expect(store.rawDocument('cap_profile', 2)).toBeUndefined();
    await h.kernel.activatePolicy(withDocument(candidate(4)));
    expect(store.rawDocument('cap_profile', 2)?.docId).toBe('doc-v4');
    // and a replay of the restored version is a rollback
    expect(isDomainError(await h.kernel.activatePolicy(candidate(3)).catch((e) => e), 'CAP_ROLLBACK')).toBe(true);
  });

  it('fails closed (DENY_ALL) when the stored profile fails re-verification: never the built-in profile instead', async () => {
    const { store } = await storeWithProfile();
    const h = makeHarness({
      store,
      deps: {
        reloadCapProfile: async () => {
          throw new Error('signatures from 1 of 3 publishers verify');
        },
      },
    });
    await h.kernel.start();
    const health = (await h.call('GET', '/healthz')).json;
    expect(health.state).toBe('DENY_ALL');
    expect(health.conditions[0].reason).toContain('failed re-verification: signatures from 1 of 3 publishers verify');
    const s = await h.kernel.openSession('a');
    // even what the built-in profile permits is denied
    const r = await h.kernel.authorize(s.session_id, agentRead());
    expect(r.decision).toBe('DENY');
    expect(r.reasons[0]).toContain('DENY_ALL');
    expect(journal(h).find((x) => x.event_type === 'CAP_PROFILE_RELOAD_FAILED')).toMatchObject({ ale_type: 'KERNEL_AUDIT_ANOMALY', document_seq: 1 });
    // no way around it until a restart: its version floor is unknown
    expect(isDomainError(await h.kernel.activatePolicy(candidate(9)).catch((e) => e), 'UNAVAILABLE')).toBe(true);
    expect(h.kernel.state.has('DENY_ALL')).toBe(true);
  });

  it('fails closed when a stored profile exists but no re-verification is configured', async () => {
    const { store } = await storeWithProfile();
    const h = makeHarness({ store });
    await h.kernel.start();
    expect(h.kernel.state.reason('DENY_ALL')).toContain('no re-verification is configured');
  });

  it('fails closed when the re-verified profile does not load', async () => {
    const { store } = await storeWithProfile();
    const h = makeHarness({ store, deps: { reloadCapProfile: async (doc) => ({ ...(await reloadFromBody(doc)), policies: 'permit (' }) } });
    await h.kernel.start();
    expect(h.kernel.state.reason('DENY_ALL')).toContain('could not be activated');
    expect(h.kernel.activePolicy().version).toBe(0);
  });

  it('fails closed when the store cannot be read at start', async () => {
    const store = new MemoryStore();
    const h = makeHarness({ store });
    store.failWith = new Error('disk I/O error');
    // the stored GEC Manifest chain, verified first, cannot be read: the kernel does not start
    // (and serves nothing); the profile restore has not run
    await expect(h.kernel.start()).rejects.toMatchObject({ code: 'GAR_UNAVAILABLE' });
    store.failWith = null;
    const health = (await h.call('GET', '/healthz')).json;
    expect(health.conditions.map((c: { state: string }) => c.state)).toEqual(['SUSPENDED_GAR']);
    expect((await h.call('POST', '/v1/sessions', { agent_id: 'a' })).json.code).toBe('KERNEL_NOT_STARTED');
    // a second start, with the store back, verifies, restores and issues the manifest
    await h.kernel.start();
    expect((await h.call('POST', '/v1/sessions', { agent_id: 'a' })).status).toBe(201);
  });

  it('restores once: a second start changes nothing', async () => {
    const { store } = await storeWithProfile();
    let calls = 0;
    const h = makeHarness({
      store,
      deps: {
        reloadCapProfile: async (doc) => {
          calls++;
          return reloadFromBody(doc);
        },
      },
    });
    await h.kernel.start();
    await h.kernel.start();
    expect(calls).toBe(1);
    expect(h.kernel.state.primary()).toBe('NORMAL');
  });
});
