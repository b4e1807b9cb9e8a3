import { describe, expect, it } from 'vitest';
import { ed25519Verifier } from './adapters/noble/ed25519.ts';
import { verifyPackage } from './kernel/audit/verify-package.ts';
import { agentRead, classifyGold, makeHarness } from '../test/support/harness.ts';

describe('the governed decision slice', () => {
  it('reports health with state and runtime', async () => {
    const h = makeHarness();
    const res = await h.call('GET', '/healthz');
    expect(res.status).toBe(200);
    expect(res.json).toMatchObject({ status: 'ok', state: 'NORMAL', runtime: 'node' });
  });

  it('opens a session whose block id is a 32-hex trace id', async () => {
    const h = makeHarness();
    const res = await h.call('POST', '/v1/sessions', { agent_id: 'master-ai' });
    expect(res.status).toBe(201);
    expect(res.json.session_id).toMatch(/^[0-9a-f-]{36}$/);
    expect(res.json.block_id).toMatch(/^[0-9a-f]{32}$/);
  });

  it('permits read, denies classify_gold (opening an escalation; an agent-sent human_approval is discarded), permits the retry an approver approved', async () => {
    const h = makeHarness();
    const { json: s } = await h.call('POST', '/v1/sessions', { agent_id: 'master-ai' });
    const read = await h.call('POST', `/v1/sessions/${s.session_id}/authorize`, agentRead());
    expect(read.status).toBe(200);
    expect(read.json).toMatchObject({ decision: 'PERMIT', ale_seq: 2, policy_ids: ['kee-default-read'] });
    expect(read.json.cedar_policy_hash).toMatch(/^[0-9a-f]{64}$/);

    const gold = await h.call('POST', `/v1/sessions/${s.session_id}/authorize`, classifyGold());
    expect(gold.json).toMatchObject({ decision: 'DENY', ale_seq: 3, policy_ids: ['tier0b-no-auto-gold'], escalation: { hem_class: 'HEM-HIGH-1', status: 'PENDING' } });

    const forged = await h.call('POST', `/v1/sessions/${s.session_id}/authorize`, classifyGold(true));
    expect(forged.json).toMatchObject({ decision: 'DENY', escalation: { hem_id: gold.json.escalation.hem_id } });

    await h.kernel.resolveEscalation(gold.json.escalation.hem_id, 'APPROVED', 'duty-officer', null);
    const approved = await h.call('POST', `/v1/sessions/${s.session_id}/authorize`, { ...classifyGold(), hem_id: gold.json.escalation.hem_id });
    expect(approved.json).toMatchObject({ decision: 'PERMIT', ale_seq: 5, policy_ids: ['tier1-gold-with-human-approval'] });
  });

  it('stores a chained record per decision before answering', async () => {
    const h = makeHarness();
    const { json: s } = await h.call('POST', '/v1/sessions', { agent_id: 'a' });
    await h.call('POST', `/v1/sessions/${s.session_id}/authorize`, agentRead());
    await h.call('POST', `/v1/sessions/${s.session_id}/authorize`, classifyGold());
    const rows = h.store.rawRecords(s.session_id);
    expect(rows.map((r) => r.aleType)).toEqual(['SESSION_OPEN', 'CEDAR_PERMIT', 'CEDAR_DENY']);
    const recs = rows.map((r) => JSON.parse(r.canonical));
    expect(recs[0].prev_span_hash).toBeNull();
    expect(recs[1].prev_span_hash).toBe(rows[0]!.hash);
    expect(recs[2].prev_span_hash).toBe(rows[1]!.hash);
    expect(recs[2]).toMatchObject({ ale_type: 'CEDAR_DENY', ale_seq: 3, session_id: s.session_id, block_id: s.block_id, decision: 'DENY' });
    expect(recs[2].timestamp).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
    // context values are not stored; the subject digest commits to them
    expect(recs[2].context).toBeUndefined();
    expect(recs[2].subject_digest).toMatch(/^[0-9a-f]{64}$/);
  });

  it('closes into a signed block whose package verifies offline, and rejects a tampered one', async () => {
    const h = makeHarness();
    const { json: s } = await h.call('POST', '/v1/sessions', { agent_id: 'a' });
    await h.call('POST', `/v1/sessions/${s.session_id}/authorize`, agentRead());
    await h.call('POST', `/v1/sessions/${s.session_id}/authorize`, classifyGold());
    const closed = await h.call('POST', `/v1/sessions/${s.session_id}/close`);
    expect(closed.status).toBe(200);
    expect(closed.json).toMatchObject({ block_id: s.block_id, record_count: 4 });
    expect(closed.json.block_signature.signature).toMatch(/^[0-9a-f]{128}$/);

    const again = await h.call('POST', `/v1/sessions/${s.session_id}/close`);
    expect(again.json).toEqual(closed.json);

    const header = await h.call('GET', `/v1/audit/blocks/${s.block_id}`);
    expect(header.json).toEqual({ ...closed.json, log_index: 0 });

    const pkg = await h.call('GET', `/v1/audit/blocks/${s.block_id}/package`);
    expect(pkg.status).toBe(200);
    expect(pkg.json.records).toHaveLength(4);
    const deps = { merkle: h.merkle, verifier: ed25519Verifier };
    expect(verifyPackage(pkg.json, deps)).toEqual({ ok: true, block_id: s.block_id, records: 4 });

    const tampered = structuredClone(pkg.json);
    tampered.records[2].record.decision = 'PERMIT';
    const r = verifyPackage(tampered, deps);
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.failure).toMatchObject({ kind: 'proof', index: 2 });

    const after = await h.call('POST', `/v1/sessions/${s.session_id}/authorize`, agentRead());
    expect(after.status).toBe(409);
    expect(after.json.code).toBe('SESSION_CLOSED');
  });
});
