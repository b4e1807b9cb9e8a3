/**
 * P8 between two kernels federated on loopback (real HTTP, test/support/federation.ts): A
 * transmits over SSF, B receives. Revoking an agent at A makes B refuse it at A's first delivery
 * (push) or B's next poll, with no time passing on either kernel's clock (the 30 s of digest §2.8
 * on the wall clock is measured by bench/revocation); B unreachable gives PARTIAL, then CLEAN after
 * retries; A silent past the bound makes B deny what it cannot confirm.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { freePort } from './support/free-port.ts';
import { agentKey, journalRecords, makeOperators } from './support/operators.ts';
import { startNode, transmitterConfig, type Node, type Ops } from './support/federation.ts';
import { until } from './support/until.ts';

const nodes: Node[] = [];
afterEach(async () => {
  for (const n of nodes.splice(0)) {
    n.h.kernel.stop();
    await n.close();
  }
});

async function pair(delivery: 'push' | 'poll', ops: Ops) {
  const a = await startNode(ops);
  // B's configuration names its own push URL: its port is taken first
  const port = await freePort();
  const config = await transmitterConfig(ops, a.url, delivery, `http://127.0.0.1:${port}`);
  const b = await startNode(ops, { port, transmitters: () => [config] });
  nodes.push(a, b);
  await b.tick(); // B creates its stream at A
  expect(b.h.kernel.health().revocation?.streams_in[0]).toMatchObject({ stream_id: expect.any(String), last_error: null });
  return { a, b };
}

async function registerAt(n: Node, ops: Ops, agent: string) {
  const r = await n.h.call('POST', '/v1/agents', { agent_id: agent, public_keys: [await agentKey()] }, await ops.bearer('operator'));
  expect(r.status, r.text).toBe(201);
  return r.json as { xpid: string };
}

describe('revocation between federated kernels (SSF over loopback HTTP)', () => {
  for (const delivery of ['push', 'poll'] as const) {
    it(`${delivery}: an agent revoked at A is refused at B at A's first delivery (push) or B's next poll; A's event is CLEAN; B's entry records its source`, async () => {
      const ops = await makeOperators();
      const { a, b } = await pair(delivery, ops);
      const { xpid } = await registerAt(a, ops, 'agent-1');
      expect((await b.decide('agent-1')).decision).toBe('PERMIT');

      const revoked = await a.h.call('POST', '/v1/agents/agent-1/revoke', undefined, await ops.bearer('operator'));
      expect(revoked.status).toBe(200);
      // no time passes on either kernel's clock: push, B has it once A's first delivery is done;
      // poll, at B's next poll. (How fast on the wall clock is bench/revocation's business.)
      await a.h.kernel.revocation.idle();
      if (delivery === 'poll') await b.tick();
      const d = await b.decide('agent-1');
      expect(d.decision).toBe('DENY');
      expect(d.reasons.join(' ')).toMatch(new RegExp(`^XPID_REVOKED: XPID \`${xpid}\` of agent \`agent-1\` .* \\(by ${a.h.kernel.issuer.replaceAll('.', '\\.')}\\)$`));

      const entry = (await b.h.call('GET', '/v1/revocations')).json.revocations[0];
      expect(entry).toMatchObject({ kind: 'XPID', id: xpid, source: 'CAEP', originating_kernel: a.h.kernel.issuer, subject: { agent_id: 'agent-1', xpid }, caep_received_at: expect.any(String) });
      // the event id travelled as the SET's txn
      const origin = (await a.h.call('GET', '/v1/revocations')).json.revocations[0];
      expect(entry.event_id).toBe(origin.event_id);

      // the poll receiver's ack reaches A with its next poll
      if (delivery === 'poll') await b.tick();
      await a.h.kernel.revocation.idle();
      const [view] = a.h.kernel.revocation.propagation.view(origin.event_id);
      expect(view).toMatchObject({ state: 'CLEAN', receivers: [{ acknowledged: true, method: delivery === 'push' ? 'urn:ietf:rfc:8935' : 'urn:ietf:rfc:8936' }] });
      const records = (await journalRecords(a.h.store)).filter((r) => r.ale_type === 'REVOCATION_PROPAGATION');
      expect(records).toEqual([expect.objectContaining({ event_id: origin.event_id, completion_state: 'CLEAN', revoked_kind: 'XPID', revoked_id: xpid })]);
    });
  }

  it('B unreachable: PARTIAL at 30 s (retried, operator alert at 60 s), then CLEAN once a retry reaches B', async () => {
    const ops = await makeOperators();
    const { a, b } = await pair('push', ops);
    await b.close();
    const entry = (await a.h.call('POST', '/v1/revocations', { kind: 'MANDATE_JTI', id: 'mandate-1', subject: { agent_id: 'agent-7' } }, await ops.bearer('operator'))).json;
    await a.h.kernel.revocation.idle(); // the first push attempt failed
    const view = () => a.h.kernel.revocation.propagation.view(entry.event_id)[0];
    expect(view()?.state).toBe('PENDING');
    a.advance(30_000);
    await a.tick();
    expect(view()?.state).toBe('PARTIAL');
    expect(a.alerts).toEqual([]);
    a.advance(30_000);
    await a.tick();
    expect(a.alerts.map((x) => x.alert)).toEqual(['REVOCATION_UNACKNOWLEDGED']);
    expect(view()?.state).toBe('PARTIAL');
    expect(view()?.after_retry).toBe(false);
    expect(view()?.receivers[0]?.attempts).toBeGreaterThanOrEqual(2);

    await b.listen();
    a.advance(30_000); // past the capped backoff
    await a.tick();
    expect(view()).toMatchObject({ state: 'CLEAN', after_retry: true, receivers: [{ acknowledged: true }] });
    const states = (await journalRecords(a.h.store)).filter((r) => r.ale_type === 'REVOCATION_PROPAGATION').map((r) => [r.completion_state, r.after_retry ?? false]);
    expect(states).toEqual([['PARTIAL', false], ['CLEAN', true]]);
    // B applied it: agent-7 is refused there
    expect((await b.decide('agent-7')).reasons.join(' ')).toMatch(/^MANDATE_REVOKED: MANDATE_JTI `mandate-1`/);
  });

  it("A's stream silent past the bound: B denies actions whose revocation status it cannot confirm, /healthz says so, an alert is raised", async () => {
    const ops = await makeOperators();
    const { a, b } = await pair('push', ops);
    await registerAt(b, ops, 'local-agent');
    expect((await b.decide('peer-agent')).decision).toBe('PERMIT');
    await a.close();
    b.advance(31_000);
    await b.tick(); // the verification request to A fails: nothing heard for 31 s
    const d = await b.decide('peer-agent');
    expect(d.decision).toBe('DENY');
    expect(d.reasons.join(' ')).toMatch(/^REVOCATION_STATUS_UNCONFIRMED: agent `peer-agent` is not registered here and the SSF stream from .* is silent for 31 s \(bound 30 s\)/);
    // an agent registered at B has its status here
    expect((await b.decide('local-agent')).decision).toBe('PERMIT');
    // ACD Check 4 at B: a CAEP signal may be pending, so no ACD Record is issued even for a local agent
    const s = (await b.h.call('POST', '/v1/sessions', { agent_id: 'local-agent' })).json as { session_id: string };
    const acd = () => b.h.call('GET', `/.well-known/soos-acd?aep_session_id=${s.session_id}`, undefined, { accept: 'application/soos-acd+json' });
    const refused = await acd();
    expect(refused.status, refused.text).toBe(403);
    expect(refused.json).toMatchObject({ error: 'ACD_CHECK_FAILED', failed_check: 4 });
    const health = (await b.h.call('GET', '/healthz')).json;
    expect(health.revocation).toMatchObject({ status_confirmable: false, reason: expect.stringContaining('silent'), streams_in: [{ healthy: false }] });
    expect(b.alerts.map((x) => x.alert)).toEqual(['REVOCATION_STREAM_UNHEALTHY']);
    expect((await journalRecords(b.h.store)).some((r) => r.ale_type === 'REVOCATION_STREAM_UNHEALTHY')).toBe(true);

    // A back: B's next verification request is answered by a verification SET, and B confirms again
    await a.listen();
    b.advance(10_000);
    await b.tick();
    await until('B confirming revocation status again', () => b.h.kernel.health().revocation?.status_confirmable);
    expect(b.h.kernel.health().revocation?.status_confirmable).toBe(true);
    expect((await b.decide('peer-agent')).decision).toBe('PERMIT');
    expect((await acd()).status).toBe(200);
  });
});
