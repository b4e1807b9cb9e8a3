import { describe, expect, it } from 'vitest';
import { DEFAULT_CAP_PROFILE } from '../adapters/cedar/default-profile.ts';
import { CedarPolicyEngine } from '../adapters/cedar/policy-engine.ts';
import { JsMerkle } from '../adapters/memory/js-merkle.ts';
import { MemoryStore } from '../adapters/memory/store.ts';
import { agentRead, approvedGold, classifyGold, makeHarness } from '../../test/support/harness.ts';
import { loadCedar } from '../../test/support/cedar.ts';
import type { PolicyEngine } from '../ports/policy.ts';
import type { Signer } from '../ports/signer.ts';

const realEngine = () => CedarPolicyEngine.load(loadCedar(), DEFAULT_CAP_PROFILE, new JsMerkle());

function faultyEngine(fault: 'throw' | 'errors' | 'garbage'): PolicyEngine {
  const real = realEngine();
  return {
    active: () => real.active(),
    evaluate: (req) => {
      if (fault === 'throw') throw new Error('wasm trap: unreachable');
      if (fault === 'errors') return { decision: 'PERMIT', policyIds: ['kee-default-read'], errors: ['policy `x`: type error'] };
      return { decision: 'MAYBE' as never, policyIds: [], errors: [] };
    },
  };
}

describe('fail-closed authorization', () => {
  for (const fault of ['throw', 'errors', 'garbage'] as const) {
    it(`denies, never permits, when the engine faults (${fault})`, async () => {
      const h = makeHarness({ deps: { policy: faultyEngine(fault) } });
      const { json: s } = await h.call('POST', '/v1/sessions', { agent_id: 'a' });
      const r = await h.call('POST', `/v1/sessions/${s.session_id}/authorize`, agentRead());
      expect(r.status).toBe(200);
      expect(r.json.decision).toBe('DENY');
      const rec = JSON.parse(h.store.rawRecords(s.session_id)[1]!.canonical);
      expect(rec.ale_type).toBe('CEDAR_DENY');
      expect(r.json.reasons.length).toBeGreaterThan(0);
    });
  }

  it('denies when a policy errors at evaluation in the real engine (erroring forbid never lets a permit through)', async () => {
    const profile = {
      capProfileId: 'test-errors',
      policies: `@id("p") permit (principal, action, resource);
@id("f") forbid (principal, action, resource) when { context.level > 3 };`,
    };
    const h = makeHarness({ profile });
    const { json: s } = await h.call('POST', '/v1/sessions', { agent_id: 'a' });
    // context.level missing: the forbid errors, Cedar alone would permit
    const r = await h.call('POST', `/v1/sessions/${s.session_id}/authorize`, agentRead());
    expect(r.json.decision).toBe('DENY');
    expect(r.json.reasons.join(' ')).toContain('policy `f`');
    const ok = await h.call('POST', `/v1/sessions/${s.session_id}/authorize`, { ...agentRead(), context: { level: 1 } });
    expect(ok.json.decision).toBe('PERMIT');
  });

  it('denies everything while the kernel is in DENY_ALL or MANIFEST_INTEGRITY_FAILURE', async () => {
    const h = makeHarness();
    const { json: s } = await h.call('POST', '/v1/sessions', { agent_id: 'a' });
    for (const cond of ['DENY_ALL', 'MANIFEST_INTEGRITY_FAILURE'] as const) {
      h.kernel.state.enter(cond, 'test');
      const r = await h.call('POST', `/v1/sessions/${s.session_id}/authorize`, classifyGold(true));
      expect(r.json.decision).toBe('DENY');
      expect((await h.call('GET', '/healthz')).json.state).toBe(cond);
      h.kernel.state.leave(cond);
    }
    // out of it, an approved escalation's retry is a PERMIT again
    const approved = await approvedGold(h, `/v1/sessions/${s.session_id}/authorize`);
    expect((await h.call('POST', `/v1/sessions/${s.session_id}/authorize`, approved)).json.decision).toBe('PERMIT');
  });
});

describe('audit store outage', () => {
  it('suspends agent actions with 503 GAR_UNAVAILABLE, returns no decision, and recovers by itself', async () => {
    const store = new MemoryStore();
    const h = makeHarness({ store });
    const { json: s } = await h.call('POST', '/v1/sessions', { agent_id: 'a' });
    store.failWith = new Error('disk I/O error');
    const r = await h.call('POST', `/v1/sessions/${s.session_id}/authorize`, agentRead());
    expect(r.status).toBe(503);
    expect(r.json.code).toBe('GAR_UNAVAILABLE');
    expect(r.json.decision).toBeUndefined();
    expect(r.headers.get('retry-after')).toBe('1');
    expect((await h.call('GET', '/healthz')).json.state).toBe('SUSPENDED_GAR');
    store.failWith = null;
    const again = await h.call('POST', `/v1/sessions/${s.session_id}/authorize`, agentRead());
    expect(again.json).toMatchObject({ decision: 'PERMIT', ale_seq: 2 });
    expect((await h.call('GET', '/healthz')).json.state).toBe('NORMAL');
  });
});

/** A signer over `inner` that fails (an HSM offline) while switched off. */
function switchableSigner(inner: Signer): { signer: Signer; setFailing: (on: boolean) => void } {
  let failing = false;
  const signer: Signer = {
    algorithm: 'Ed25519',
    publicKey: () => inner.publicKey(),
    describe: () => inner.describe(),
    sign: async (m) => {
      if (failing) throw new Error('hsm offline');
      return inner.sign(m);
    },
  };
  return { signer, setFailing: (on) => (failing = on) };
}

describe('session close signing', () => {
  it('never stores an unsigned block; a failed close can be retried', async () => {
    const base = makeHarness();
    const { signer, setFailing } = switchableSigner(base.signer);
    const h = makeHarness({ deps: { signer } });
    await h.started; // the start signs the manifest
    setFailing(true);
    const { json: s } = await h.call('POST', '/v1/sessions', { agent_id: 'a' });
    const r = await h.call('POST', `/v1/sessions/${s.session_id}/close`);
    expect(r.status).toBe(503);
    expect(r.json.code).toBe('SIGNER_FAILED');
    expect((await h.call('GET', `/v1/audit/blocks/${s.block_id}`)).status).toBe(404);
    expect((await h.call('GET', '/healthz')).json.state).toBe('SIGNING_SUSPENDED');
    const journal = h.store.allSessions().find((x) => x.agent_id === 'kee-kernel')!;
    expect(JSON.parse(h.store.rawRecords(journal.session_id).at(-1)!.canonical)).toMatchObject({ event_type: 'SIGNING_QUORUM_LOST' });
    // no further actions once closing
    expect((await h.call('POST', `/v1/sessions/${s.session_id}/authorize`, agentRead())).json.code).toBe('SESSION_CLOSED');
    setFailing(false);
    const ok = await h.call('POST', `/v1/sessions/${s.session_id}/close`);
    expect(ok.status).toBe(200);
    expect(ok.json.record_count).toBe(2);
    expect((await h.call('GET', '/healthz')).json.state).toBe('NORMAL');
    expect(h.store.rawRecords(s.session_id).filter((x) => x.aleType === 'SESSION_COMPLETE')).toHaveLength(1);
  });

  it('a close a restart interrupted is completed at the next start, with its one SESSION_COMPLETE', async () => {
    const base = makeHarness();
    const { signer, setFailing } = switchableSigner(base.signer);
    const h = makeHarness({ store: base.store, deps: { signer, options: { signing: { closeRetryMs: 0 } } } });
    const { json: s } = await h.call('POST', '/v1/sessions', { agent_id: 'a' });
    await h.call('POST', `/v1/sessions/${s.session_id}/authorize`, agentRead());
    setFailing(true);
    expect((await h.call('POST', `/v1/sessions/${s.session_id}/close`)).status).toBe(503);
    expect((await base.store.getSession(s.session_id))?.status).toBe('CLOSING');
    h.kernel.stop();
    // the process restarts with the signer back: start completes the close
    setFailing(false);
    const again = makeHarness({ store: base.store, deps: { signer } });
    await again.kernel.start();
    expect((await base.store.getSession(s.session_id))?.status).toBe('CLOSED');
    const block = await again.call('GET', `/v1/audit/blocks/${s.block_id}`);
    expect(block.status).toBe(200);
    expect(block.json.record_count).toBe(3);
    expect(base.store.rawRecords(s.session_id).filter((x) => x.aleType === 'SESSION_COMPLETE')).toHaveLength(1);
  });

  it('refuses to sign over a broken chain', async () => {
    const h = makeHarness();
    const { json: s } = await h.call('POST', '/v1/sessions', { agent_id: 'a' });
    await h.call('POST', `/v1/sessions/${s.session_id}/authorize`, agentRead());
    const rows = h.store.rawRecords(s.session_id);
    rows[0]!.canonical = rows[0]!.canonical.replace('"agent_id":"a"', '"agent_id":"b"');
    const r = await h.call('POST', `/v1/sessions/${s.session_id}/close`);
    expect(r.status).toBe(409);
    expect(r.json.code).toBe('AUDIT_TAMPERED');
    expect(r.json.detail).toContain('record 0 (ale_seq 1): stored hash does not match its content');
    expect((await h.call('GET', `/v1/audit/blocks/${s.block_id}`)).status).toBe(404);
    // the session is marked tampered and the kernel journal records the anomaly
    expect(h.store.allSessions().find((x) => x.session_id === s.session_id)?.status).toBe('TAMPERED');
    const journal = h.store.allSessions().find((x) => x.agent_id === 'kee-kernel')!;
    const anomaly = JSON.parse(h.store.rawRecords(journal.session_id).at(-1)!.canonical);
    expect(anomaly).toMatchObject({ ale_type: 'KERNEL_AUDIT_ANOMALY', event_type: 'OTEL_SPAN_CHAIN_GAP', tampered_session_id: s.session_id, severity: 'CRITICAL' });
    expect((await h.call('POST', `/v1/sessions/${s.session_id}/close`)).json.code).toBe('AUDIT_TAMPERED');
    expect((await h.call('POST', `/v1/sessions/${s.session_id}/authorize`, agentRead())).json.code).toBe('AUDIT_TAMPERED');
  });
});

describe('chain order under concurrency', () => {
  it('gives strictly increasing ale_seq and an exact chain for 100 concurrent decisions', async () => {
    const h = makeHarness();
    const { json: s } = await h.call('POST', '/v1/sessions', { agent_id: 'a' });
    const results = await Promise.all(Array.from({ length: 100 }, () => h.call('POST', `/v1/sessions/${s.session_id}/authorize`, agentRead())));
    expect(results.map((r) => r.json.ale_seq).sort((a, b) => a - b)).toEqual(Array.from({ length: 100 }, (_, i) => i + 2));
    const closed = await h.call('POST', `/v1/sessions/${s.session_id}/close`);
    expect(closed.json.record_count).toBe(102);
  });
});
