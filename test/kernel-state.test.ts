import { describe, expect, it } from 'vitest';
import { MemoryStore } from '../src/adapters/memory/store.ts';
import { agentRead, classifyGold, makeHarness } from './support/harness.ts';

/**
 * The fail-closed state machine (digest choice 5.22) seen from outside: several conditions at
 * once, what each one does to decisions, and how `/healthz` reports them.
 */
describe('kernel state combinations over HTTP', () => {
  it('DENY_ALL + SUSPENDED_GAR: no decision while the store is down, DENY once it is back, PERMIT once both are gone', async () => {
    const store = new MemoryStore();
    const h = makeHarness({ store });
    const { json: s } = await h.call('POST', '/v1/sessions', { agent_id: 'a' });
    const authorize = () => h.call('POST', `/v1/sessions/${s.session_id}/authorize`, agentRead());
    h.kernel.state.enter('DENY_ALL', 'stored cap profile failed re-verification');
    store.failWith = new Error('disk I/O error');
    const down = await authorize();
    expect(down.status).toBe(503);
    expect(down.json.code).toBe('GAR_UNAVAILABLE');
    const health = (await h.call('GET', '/healthz')).json;
    expect(health.state).toBe('DENY_ALL');
    expect(health.conditions).toEqual([
      { state: 'DENY_ALL', reason: 'stored cap profile failed re-verification' },
      { state: 'SUSPENDED_GAR', reason: 'audit store write failed' },
    ]);

    // the store returns: the next write leaves SUSPENDED_GAR, DENY_ALL stays
    store.failWith = null;
    const denied = await authorize();
    expect(denied.json).toMatchObject({ decision: 'DENY', reasons: ['kernel is in DENY_ALL: every authorization is denied'] });
    expect((await h.call('GET', '/healthz')).json).toMatchObject({ state: 'DENY_ALL', conditions: [{ state: 'DENY_ALL' }] });

    h.kernel.state.leave('DENY_ALL');
    expect((await authorize()).json.decision).toBe('PERMIT');
    expect((await h.call('GET', '/healthz')).json).toMatchObject({ state: 'NORMAL', conditions: [] });
  });

  it('MANIFEST_INTEGRITY_FAILURE takes precedence over DENY_ALL; leaving it keeps DENY_ALL in force', async () => {
    const h = makeHarness();
    const { json: s } = await h.call('POST', '/v1/sessions', { agent_id: 'a' });
    h.kernel.state.enter('DENY_ALL', 'policy epoch commit failed');
    h.kernel.state.enter('MANIFEST_INTEGRITY_FAILURE', 'manifest hash mismatch');
    const r = await h.call('POST', `/v1/sessions/${s.session_id}/authorize`, classifyGold(true));
    expect(r.json).toMatchObject({ decision: 'DENY', reasons: ['kernel is in MANIFEST_INTEGRITY_FAILURE: every authorization is denied'] });
    expect((await h.call('GET', '/healthz')).json.state).toBe('MANIFEST_INTEGRITY_FAILURE');
    h.kernel.state.leave('MANIFEST_INTEGRITY_FAILURE');
    const still = await h.call('POST', `/v1/sessions/${s.session_id}/authorize`, classifyGold(true));
    expect(still.json.decision).toBe('DENY');
    expect((await h.call('GET', '/healthz')).json.state).toBe('DENY_ALL');
  });

  it('SIGNING_SUSPENDED alone does not deny decisions (existing grants keep working), but shows in /healthz under DENY_ALL', async () => {
    const h = makeHarness();
    const { json: s } = await h.call('POST', '/v1/sessions', { agent_id: 'a' });
    h.kernel.state.enter('SIGNING_SUSPENDED', 'signing quorum lost');
    expect((await h.call('POST', `/v1/sessions/${s.session_id}/authorize`, agentRead())).json.decision).toBe('PERMIT');
    expect((await h.call('GET', '/healthz')).json.state).toBe('SIGNING_SUSPENDED');
    h.kernel.state.enter('DENY_ALL', 'no majority');
    expect((await h.call('POST', `/v1/sessions/${s.session_id}/authorize`, agentRead())).json.decision).toBe('DENY');
    const health = (await h.call('GET', '/healthz')).json;
    expect(health.state).toBe('DENY_ALL');
    expect(health.conditions.map((c: { state: string }) => c.state)).toEqual(['DENY_ALL', 'SIGNING_SUSPENDED']);
  });

  it('a hot swap does not clear a fail-closed condition', async () => {
    const h = makeHarness();
    const { json: s } = await h.call('POST', '/v1/sessions', { agent_id: 'a' });
    h.kernel.state.enter('DENY_ALL', 'operator hold');
    await h.kernel.activatePolicy({ capProfileId: 'open', version: 1, policies: '@id("all") permit (principal, action, resource);' });
    expect((await h.call('POST', `/v1/sessions/${s.session_id}/authorize`, classifyGold())).json.decision).toBe('DENY');
    expect(h.kernel.state.reason('DENY_ALL')).toBe('operator hold');
  });
});
