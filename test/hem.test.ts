/**
 * Human escalation (HEM, docs/hem.md): a `@hem` forbid's DENY opens an escalation; only an
 * approver's answer, recorded by the kernel, can turn the retry into a PERMIT; an agent's own
 * `context.hem` / `context.human_approval` never can.
 */
import { describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createLibsqlClient } from '../src/adapters/libsql/client.ts';
import { openLibsqlStore } from '../src/adapters/libsql/open-libsql.ts';
import { MemoryStore } from '../src/adapters/memory/store.ts';
import { Ed25519Signer } from '../src/adapters/noble/ed25519.ts';
import { agentRead, classifyGold, makeHarness, type Harness } from './support/harness.ts';
import { journalRecords, makeOperators } from './support/operators.ts';
import { agentKeyPair, assertion, dpopHeaders } from './support/agent-auth.ts';

const authorize = (h: Harness, sid: string, body: unknown) => h.call('POST', `/v1/sessions/${sid}/authorize`, body);

async function setup(options: { store?: MemoryStore; clock?: { nowIso: () => string }; engine?: 'kee-policy' | 'cedar-wasm'; operators?: Awaited<ReturnType<typeof makeOperators>> } = {}) {
  const operators = options.operators ?? (await makeOperators());
  const h = makeHarness({ ...(options.store ? { store: options.store } : {}), ...(options.engine ? { engine: options.engine } : {}), deps: { operatorTokens: operators.verifier, ...(options.clock ? { clock: options.clock } : {}) } });
  const s = (await h.call('POST', '/v1/sessions', { agent_id: 'master-ai' })).json;
  return { h, s, operators, approver: await operators.bearer('approver') };
}

describe('HEM escalation', () => {
  for (const engine of ['kee-policy', 'cedar-wasm'] as const) {
    it(`${engine}: the Tier 0-B DENY opens a HEM-HIGH-1 escalation; approved, the retry naming it is a PERMIT`, async () => {
      const { h, s, approver } = await setup({ engine });
      const deny = (await authorize(h, s.session_id, classifyGold())).json;
      expect(deny).toMatchObject({ decision: 'DENY', policy_ids: ['tier0b-no-auto-gold'], escalation: { hem_class: 'HEM-HIGH-1', status: 'PENDING' } });
      const hemId = deny.escalation.hem_id as string;
      expect(Date.parse(deny.escalation.expires_at) - Date.now()).toBeGreaterThan(890_000);
      // the retry before an answer: still DENY, the same escalation, no new one
      const early = (await authorize(h, s.session_id, { ...classifyGold(), hem_id: hemId })).json;
      expect(early).toMatchObject({ decision: 'DENY', escalation: { hem_id: hemId, status: 'PENDING' } });
      expect((await h.call('GET', '/v1/hem/escalations?status=PENDING', undefined, approver)).json.escalations.map((e: { hem_id: string }) => e.hem_id)).toEqual([hemId]);

      const ok = await h.call('POST', `/v1/hem/escalations/${hemId}/approve`, { comment: 'M7.2 confirmed with JMA' }, approver);
      expect(ok.status).toBe(200);
      expect(ok.json).toMatchObject({ hem_id: hemId, status: 'APPROVED', resolution: { approver: 'op-approver', comment: 'M7.2 confirmed with JMA' } });

      const permit = (await authorize(h, s.session_id, { ...classifyGold(), hem_id: hemId })).json;
      expect(permit).toMatchObject({ decision: 'PERMIT', policy_ids: ['tier1-gold-with-human-approval'], escalation: { hem_id: hemId, status: 'APPROVED' } });
      expect(permit.credential).toBeDefined();

      // what is stored: the DENY and PERMIT records name the escalation; the journal holds its trigger and resolution
      const records = (await h.store.listRecords(s.session_id)).map((r) => JSON.parse(r.canonical));
      expect(records.find((r) => r.ale_seq === deny.ale_seq)).toMatchObject({ ale_type: 'CEDAR_DENY', hem_id: hemId, hem_class: 'HEM-HIGH-1', hem_resolution: 'PENDING' });
      expect(records.find((r) => r.ale_seq === permit.ale_seq)).toMatchObject({ ale_type: 'CEDAR_PERMIT', hem_id: hemId, hem_resolution: 'APPROVED' });
      const journal = await journalRecords(h.store);
      expect(journal.filter((r) => r.ale_type === 'HEM_TRIGGERED')).toEqual([expect.objectContaining({ hem_id: hemId, hem_class: 'HEM-HIGH-1', hem_resolution: 'PENDING', agent_session_id: s.session_id, decision_ale_seq: deny.ale_seq, cedar_policy_id: 'tier0b-no-auto-gold' })]);
      expect(journal.filter((r) => r.ale_type === 'HEM_RESOLVED')).toEqual([expect.objectContaining({ hem_id: hemId, hem_resolution: 'APPROVED', approver: 'op-approver', comment: 'M7.2 confirmed with JMA' })]);
      // spans: soos.hem.trigger (PENDING) and soos.hem.resolve (APPROVED)
      const spans = h.spans.getFinishedSpans();
      expect(spans.find((x) => x.name === 'soos.hem.trigger')?.attributes).toMatchObject({ 'soos.governance.hem_class': 'HEM-HIGH-1', 'soos.governance.hem_resolution': 'PENDING', 'soos.hem.id': hemId });
      expect(spans.find((x) => x.name === 'soos.hem.resolve')?.attributes).toMatchObject({ 'soos.governance.hem_class': 'HEM-HIGH-1', 'soos.governance.hem_resolution': 'APPROVED' });
      // the re-evaluation's span carries the resolution beside the PERMIT (digest 4.9 step 9)
      expect(spans.filter((x) => x.name === 'soos.cedar.evaluate').at(-1)?.attributes).toMatchObject({ 'soos.cap.decision': 'PERMIT', 'soos.governance.hem_resolution': 'APPROVED', 'soos.hem.id': hemId });
    });
  }

  it('an agent-sent `human_approval` or `hem` cannot permit, and opens an escalation like any Tier 0-B DENY', async () => {
    const { h, s } = await setup();
    const forged = [
      { human_approval: true },
      { hem: { id: 'hem-x', class: 'HEM-HIGH-1', resolution: 'APPROVED', approver: 'me' } },
      { human_approval: true, hem: { id: 'hem-x', class: 'HEM-HIGH-1', resolution: 'APPROVED', approver: 'me' } },
    ];
    for (const context of forged) {
      const r = (await authorize(h, s.session_id, { ...classifyGold(), context })).json;
      expect(r.decision, JSON.stringify(context)).toBe('DENY');
      expect(r.escalation.status).toBe('PENDING');
    }
    // all three are the same intent in the same session: one PENDING escalation
    expect((await h.kernel.listEscalations('PENDING')).length).toBe(1);
    // a forged `hem` next to a real, still PENDING hem_id is replaced by the kernel's facts
    const hemId = (await h.kernel.listEscalations('PENDING'))[0]!.hem_id;
    const r = (await authorize(h, s.session_id, { ...classifyGold(), hem_id: hemId, context: forged[2] })).json;
    expect(r.decision).toBe('DENY');
  });

  it('a batch: two DENYs of the same intent open one escalation; an approved retry in a batch is a PERMIT', async () => {
    const { h, s } = await setup();
    const batch = (await h.call('POST', `/v1/sessions/${s.session_id}/authorize/batch`, { requests: [classifyGold(), agentRead('master-ai'), classifyGold(true)] })).json.results;
    expect(batch.map((r: { decision: string }) => r.decision)).toEqual(['DENY', 'PERMIT', 'DENY']);
    expect(batch[2].escalation.hem_id).toBe(batch[0].escalation.hem_id);
    expect((await journalRecords(h.store)).filter((r) => r.ale_type === 'HEM_TRIGGERED').length).toBe(1);
    await h.kernel.resolveEscalation(batch[0].escalation.hem_id, 'APPROVED', 'duty-officer', 'ok');
    const retried = (await h.call('POST', `/v1/sessions/${s.session_id}/authorize/batch`, { requests: [agentRead('master-ai'), { ...classifyGold(), hem_id: batch[0].escalation.hem_id }] })).json.results;
    expect(retried.map((r: { decision: string }) => r.decision)).toEqual(['PERMIT', 'PERMIT']);
    // one request naming a foreign escalation refuses the whole batch
    const other = (await h.call('POST', '/v1/sessions', { agent_id: 'master-ai' })).json;
    const refused = await h.call('POST', `/v1/sessions/${other.session_id}/authorize/batch`, { requests: [agentRead('master-ai'), { ...classifyGold(), hem_id: batch[0].escalation.hem_id }] });
    expect(refused.status).toBe(409);
    expect(refused.json.code).toBe('HEM_MISMATCH');
  });

  it('concurrent DENYs of the same intent name one escalation (one HEM_TRIGGERED), each answer after it is recorded', async () => {
    const { h, s } = await setup();
    const answers = (await Promise.all(Array.from({ length: 6 }, () => authorize(h, s.session_id, classifyGold())))).map((r) => r.json);
    expect(answers.map((a) => a.decision)).toEqual(Array(6).fill('DENY'));
    const ids = new Set(answers.map((a) => a.escalation.hem_id));
    expect(ids.size).toBe(1);
    expect((await h.kernel.listEscalations('PENDING')).map((e) => e.hem_id)).toEqual([...ids]);
    expect((await journalRecords(h.store)).filter((r) => r.ale_type === 'HEM_TRIGGERED').length).toBe(1);
    // every DENY record names it
    const records = (await h.store.listRecords(s.session_id)).map((r) => JSON.parse(r.canonical)).filter((r) => r.ale_type === 'CEDAR_DENY');
    expect(records.map((r) => r.hem_id)).toEqual(Array(6).fill([...ids][0]));
  });

  it('rejected: the retry stays DENY with the REJECTED escalation, and a second answer is a conflict', async () => {
    const { h, s, approver } = await setup();
    const hemId = (await authorize(h, s.session_id, classifyGold())).json.escalation.hem_id;
    const no = await h.call('POST', `/v1/hem/escalations/${hemId}/reject`, { comment: 'not confirmed' }, approver);
    expect(no.json).toMatchObject({ status: 'REJECTED', resolution: { approver: 'op-approver', comment: 'not confirmed' } });
    const r = (await authorize(h, s.session_id, { ...classifyGold(), hem_id: hemId })).json;
    expect(r).toMatchObject({ decision: 'DENY', escalation: { hem_id: hemId, status: 'REJECTED' } });
    const again = await h.call('POST', `/v1/hem/escalations/${hemId}/approve`, undefined, approver);
    expect(again.status).toBe(409);
    expect(again.json.code).toBe('CONFLICT');
  });

  it('no answer before the timeout: TIMEOUT_DENY (recorded on read), and a late approval is refused', async () => {
    let now = Date.parse('2026-12-06T00:00:00.000Z');
    const clock = { nowIso: () => new Date(now).toISOString() };
    const { h, s, approver } = await setup({ clock });
    const deny = (await authorize(h, s.session_id, classifyGold())).json;
    expect(deny.escalation.expires_at).toBe('2026-12-06T00:15:00.000Z');
    now += 900_000;
    const read = await h.call('GET', `/v1/hem/escalations/${deny.escalation.hem_id}`, undefined, approver);
    expect(read.json).toMatchObject({ status: 'TIMEOUT_DENY', resolution: { approver: null, resolved_at: '2026-12-06T00:15:00.000Z' } });
    expect((await journalRecords(h.store)).filter((r) => r.ale_type === 'HEM_RESOLVED')).toEqual([expect.objectContaining({ hem_resolution: 'TIMEOUT_DENY', approver: null })]);
    expect((await h.call('POST', `/v1/hem/escalations/${deny.escalation.hem_id}/approve`, undefined, approver)).status).toBe(409);
    expect((await authorize(h, s.session_id, { ...classifyGold(), hem_id: deny.escalation.hem_id })).json).toMatchObject({ decision: 'DENY', escalation: { status: 'TIMEOUT_DENY' } });
    expect(h.spans.getFinishedSpans().find((x) => x.name === 'soos.hem.resolve')?.attributes['soos.governance.hem_resolution']).toBe('TIMEOUT_DENY');
  });

  it('KEE_HEM_TIMEOUT_S: the timeout is configurable', async () => {
    const operators = await makeOperators();
    const h = makeHarness({ deps: { operatorTokens: operators.verifier, options: { hemTimeoutS: 60 } } });
    const s = (await h.call('POST', '/v1/sessions', { agent_id: 'master-ai' })).json;
    const deny = (await authorize(h, s.session_id, classifyGold())).json;
    expect(Date.parse(deny.escalation.expires_at) - Date.parse((await h.kernel.getEscalation(deny.escalation.hem_id)).created_at)).toBe(60_000);
  });

  it('only the `approver` role answers: operator and auditor tokens, no token and an agent session token are refused', async () => {
    const { h, s, operators } = await setup();
    const hemId = (await authorize(h, s.session_id, classifyGold())).json.escalation.hem_id;
    for (const role of ['operator', 'auditor']) {
      const r = await h.call('POST', `/v1/hem/escalations/${hemId}/approve`, undefined, await operators.bearer(role));
      expect(r.status, role).toBe(403);
      expect(r.json.code).toBe('FORBIDDEN');
    }
    expect((await h.call('POST', `/v1/hem/escalations/${hemId}/approve`)).status).toBe(401);
    // a token of the kernel's own key, even one claiming `approver`, is no operator token
    const kernelSigned = await h.tokens.sign('kee-session+jwt', { sub: 'master-ai', roles: ['approver'], exp: Math.floor(Date.now() / 1000) + 600 });
    expect((await h.call('POST', `/v1/hem/escalations/${hemId}/approve`, undefined, { authorization: `Bearer ${kernelSigned}` })).status).toBe(401);
    // readers may read
    expect((await h.call('GET', `/v1/hem/escalations/${hemId}`, undefined, await operators.bearer('auditor'))).json.status).toBe('PENDING');
    expect((await h.kernel.getEscalation(hemId)).status).toBe('PENDING');
  });

  it('KEE_AUTH=agents: the agent\'s session token and its client assertion are refused as approver credentials', async () => {
    const operators = await makeOperators();
    const h = makeHarness({ deps: { operatorTokens: operators.verifier, options: { auth: 'agents' } } });
    const key = await agentKeyPair();
    expect((await h.call('POST', '/v1/agents', { agent_id: 'master-ai', public_keys: [key.jwk] }, await operators.bearer('operator'))).status).toBe(201);
    const opened = (await h.call('POST', '/v1/sessions', { agent_id: 'master-ai', client_assertion: await assertion(key, 'master-ai', h.kernel.issuer), client_assertion_type: 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer' })).json;
    const url = `http://kee.test/v1/sessions/${opened.session_id}/authorize`;
    const deny = (await h.call('POST', `/v1/sessions/${opened.session_id}/authorize`, classifyGold(), await dpopHeaders(key, 'POST', url, opened.session_token))).json;
    const hemId = deny.escalation.hem_id;
    for (const token of [opened.session_token, await assertion(key, 'master-ai', h.kernel.issuer)]) {
      const r = await h.call('POST', `/v1/hem/escalations/${hemId}/approve`, undefined, { authorization: `Bearer ${token}` });
      expect(r.status).toBe(401);
      expect(r.json.code).toBe('UNAUTHENTICATED');
    }
    const dpop = await h.call('POST', `/v1/hem/escalations/${hemId}/approve`, undefined, await dpopHeaders(key, 'POST', `http://kee.test/v1/hem/escalations/${hemId}/approve`, opened.session_token));
    expect(dpop.status).toBe(401);
    expect((await h.kernel.getEscalation(hemId)).status).toBe('PENDING');
  });

  it('the hem_id must be of the same session, agent and intent', async () => {
    const { h, s } = await setup();
    const hemId = (await authorize(h, s.session_id, classifyGold())).json.escalation.hem_id;
    await h.kernel.resolveEscalation(hemId, 'APPROVED', 'duty-officer', null);
    const other = (await h.call('POST', '/v1/sessions', { agent_id: 'master-ai' })).json;
    const elsewhere = await authorize(h, other.session_id, { ...classifyGold(), hem_id: hemId });
    expect(elsewhere.status).toBe(409);
    expect(elsewhere.json.code).toBe('HEM_MISMATCH');
    const otherIncident = await authorize(h, s.session_id, { ...classifyGold(), resource: { type: 'Incident', id: 'another' }, hem_id: hemId });
    expect(otherIncident.json.code).toBe('HEM_MISMATCH');
    const unknown = await authorize(h, s.session_id, { ...classifyGold(), hem_id: 'hem-unknown' });
    expect(unknown.status).toBe(404);
    // reads are not escalations
    expect((await authorize(h, s.session_id, agentRead('master-ai'))).json.escalation).toBeUndefined();
  });

  it('escalations survive a restart: rebuilt from the store, then approved on the new kernel', async () => {
    const store = new MemoryStore();
    const operators = await makeOperators();
    const first = await setup({ store, operators });
    const hemId = (await authorize(first.h, first.s.session_id, classifyGold())).json.escalation.hem_id;
    first.h.kernel.stop();
    const second = makeHarness({ store, deps: { operatorTokens: operators.verifier } });
    expect((await second.call('GET', '/v1/hem/escalations', undefined, first.approver)).json.escalations).toEqual([expect.objectContaining({ hem_id: hemId, status: 'PENDING', session_id: first.s.session_id })]);
    expect((await second.call('POST', `/v1/hem/escalations/${hemId}/approve`, undefined, first.approver)).json.status).toBe('APPROVED');
    const third = makeHarness({ store, deps: { operatorTokens: operators.verifier } });
    expect((await third.call('POST', `/v1/sessions/${first.s.session_id}/authorize`, { ...classifyGold(), hem_id: hemId })).json.decision).toBe('PERMIT');
  });

  it('on libSQL too: an escalation opened before a restart is read, approved and used after it', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'kee-hem-'));
    const file = join(dir, 'kee.db');
    const operators = await makeOperators();
    const signer = new Ed25519Signer(Ed25519Signer.generateSeed());
    const boot = async () => {
      const client = createLibsqlClient(`file:${file}`);
      const h = makeHarness({ store: await openLibsqlStore(client, { embedded: true }), signer, deps: { operatorTokens: operators.verifier } });
      await h.started;
      return { client, h };
    };
    try {
      const first = await boot();
      const s = (await first.h.call('POST', '/v1/sessions', { agent_id: 'master-ai' })).json;
      const hemId = (await authorize(first.h, s.session_id, classifyGold())).json.escalation.hem_id;
      first.h.kernel.stop();
      first.client.close();
      const second = await boot();
      const approver = await operators.bearer('approver');
      expect((await second.h.call('GET', `/v1/hem/escalations/${hemId}`, undefined, approver)).json).toMatchObject({ status: 'PENDING', session_id: s.session_id });
      expect((await second.h.call('POST', `/v1/hem/escalations/${hemId}/approve`, undefined, approver)).json.status).toBe('APPROVED');
      expect((await authorize(second.h, s.session_id, { ...classifyGold(), hem_id: hemId })).json.decision).toBe('PERMIT');
      second.h.kernel.stop();
      second.client.close();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('approvers are notified: the SSE stream delivers the trigger and the resolution, and the alert sink gets both', async () => {
    const alerts: { alert: string; escalation?: unknown }[] = [];
    const operators = await makeOperators();
    const h = makeHarness({ deps: { operatorTokens: operators.verifier, alerts: { alert: (a) => void alerts.push(a) } } });
    const approver = await operators.bearer('approver');
    expect((await h.app.request('http://kee.test/v1/hem/events', { headers: await operators.bearer('auditor') })).status).toBe(403);
    const res = await h.app.request('http://kee.test/v1/hem/events', { headers: approver });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toContain('text/event-stream');
    const reader = res.body!.getReader();
    const decoder = new TextDecoder();
    let text = '';
    const readUntil = async (needle: string) => {
      while (!text.includes(needle)) {
        const { value, done } = await reader.read();
        if (done) throw new Error(`stream ended before ${needle}`);
        text += decoder.decode(value);
      }
    };
    await readUntil(': subscribed');
    const s = (await h.call('POST', '/v1/sessions', { agent_id: 'master-ai' })).json;
    const hemId = (await authorize(h, s.session_id, classifyGold())).json.escalation.hem_id;
    await readUntil('event: hem_triggered');
    await readUntil(hemId);
    await h.call('POST', `/v1/hem/escalations/${hemId}/approve`, undefined, approver);
    await readUntil('event: hem_resolved');
    const resolved = text.slice(text.indexOf('event: hem_resolved'));
    expect(JSON.parse(/data: (.*)/.exec(resolved)![1]!)).toMatchObject({ hem_id: hemId, status: 'APPROVED' });
    await reader.cancel();
    expect(alerts.map((a) => a.alert)).toEqual(['HEM_TRIGGERED', 'HEM_RESOLVED']);
    expect(alerts[0]!.escalation).toMatchObject({ hem_id: hemId, hem_class: 'HEM-HIGH-1', status: 'PENDING' });
  });
});
