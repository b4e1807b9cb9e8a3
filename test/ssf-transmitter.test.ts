/**
 * The SSF 1.0 transmitter on one kernel: stream management (operator only, persisted across a
 * restart), status, RFC 8936 poll with acks completing a revocation event (CLEAN), and UNKNOWN
 * (operator alert + audit alert) when the receivers cannot be enumerated.
 */
import { describe, expect, it } from 'vitest';
import { MemoryStore } from '../src/adapters/memory/store.ts';
import type { OperatorAlert } from '../src/ports/alert.ts';
import { makeHarness } from './support/harness.ts';
import { journalRecords, makeOperators } from './support/operators.ts';

const POLL = 'urn:ietf:rfc:8936';
const PUSH = 'urn:ietf:rfc:8935';

async function setup(store = new MemoryStore(), ops?: Awaited<ReturnType<typeof makeOperators>>) {
  const o = ops ?? (await makeOperators());
  const alerts: OperatorAlert[] = [];
  const h = makeHarness({ store, deps: { operatorTokens: o.verifier, alerts: { alert: (a) => void alerts.push(a) }, options: { revocation: { tickMs: 0 } } } });
  await h.started;
  return { h, ops: o, op: await o.bearer('operator'), alerts, store };
}

describe('the SSF transmitter', () => {
  it('serves its configuration; streams are operator-only, created, read, updated, replaced, paused and deleted, and survive a restart', async () => {
    const { h, ops, op, store } = await setup();
    const conf = (await h.call('GET', '/.well-known/ssf-configuration')).json;
    expect(conf).toMatchObject({ spec_version: '1_0', issuer: h.kernel.issuer, jwks_uri: 'http://kee.test/.well-known/jwks.json', configuration_endpoint: 'http://kee.test/ssf/streams', delivery_methods_supported: [PUSH, POLL] });
    expect((await h.call('POST', '/ssf/streams', { delivery: { method: POLL } })).status).toBe(401);
    expect((await h.call('POST', '/ssf/streams', { delivery: { method: POLL } }, await ops.bearer('auditor'))).status).toBe(403);
    const bad = await h.call('POST', '/ssf/streams', { delivery: { method: PUSH } }, op);
    expect(bad.status).toBe(400);
    expect(bad.json.detail).toMatch(/push delivery needs `delivery.endpoint_url`/);

    const made = await h.call('POST', '/ssf/streams', { delivery: { method: PUSH, endpoint_url: 'http://127.0.0.1:9/ssf/push' }, events_requested: ['https://schemas.openid.net/secevent/caep/event-type/session-revoked', 'urn:example:other'], description: 'peer' }, op);
    expect(made.status).toBe(201);
    const id = made.json.stream_id;
    expect(made.json).toMatchObject({ iss: h.kernel.issuer, aud: 'op-operator', events_delivered: ['https://schemas.openid.net/secevent/caep/event-type/session-revoked'], description: 'peer' });
    expect((await h.call('GET', `/ssf/streams?stream_id=${id}`, undefined, op)).json).toEqual(made.json);
    const patched = await h.call('PATCH', '/ssf/streams', { stream_id: id, description: 'peer B' }, op);
    expect(patched.json).toMatchObject({ description: 'peer B', delivery: { method: PUSH } });
    const replaced = await h.call('PUT', '/ssf/streams', { stream_id: id, delivery: { method: POLL } }, op);
    expect(replaced.json).toMatchObject({ delivery: { method: POLL, endpoint_url: `http://kee.test/ssf/poll/${id}` } });
    expect(replaced.json.description).toBeUndefined();
    expect((await h.call('POST', '/ssf/status', { stream_id: id, status: 'paused', reason: 'maintenance' }, op)).json).toEqual({ stream_id: id, status: 'paused', reason: 'maintenance' });
    const other = (await h.call('POST', '/ssf/streams', { delivery: { method: POLL } }, op)).json.stream_id;
    expect((await h.call('DELETE', `/ssf/streams?stream_id=${other}`, undefined, op)).status).toBe(204);
    expect((await h.call('GET', `/ssf/streams?stream_id=${other}`, undefined, op)).status).toBe(404);

    h.kernel.stop();
    const again = await setup(store, ops);
    expect((await again.h.call('GET', '/ssf/streams', undefined, op)).json).toEqual([replaced.json]);
    expect((await again.h.call('GET', `/ssf/status?stream_id=${id}`, undefined, op)).json).toEqual({ stream_id: id, status: 'paused', reason: 'maintenance' });
  });

  it('poll delivery: the SET waits for the receiver; its ack makes the revocation event CLEAN (recorded)', async () => {
    const { h, op, ops } = await setup();
    const id = (await h.call('POST', '/ssf/streams', { delivery: { method: POLL } }, op)).json.stream_id;
    const entry = (await h.call('POST', '/v1/revocations', { kind: 'MANDATE_JTI', id: 'm-1' }, op)).json;
    await h.kernel.revocation.idle();
    expect(h.kernel.revocation.propagation.view(entry.event_id)[0]?.state).toBe('PENDING');
    // GET /v1/revocations/events: the same states over HTTP, for operators and auditors only
    const events = async () => (await h.call('GET', '/v1/revocations/events', undefined, await ops.bearer('auditor'))).json.events;
    expect(await events()).toEqual([{ event_id: entry.event_id, kind: 'MANDATE_JTI', id: 'm-1', state: 'PENDING', started_at: expect.stringMatching(/^\d{4}-\d\d-\d\dT.*Z$/), after_retry: false, receivers: [{ stream_id: id, aud: expect.any(String), method: POLL, acknowledged: false, acked_ms: null, attempts: 1 }] }]);
    expect((await h.call('GET', '/v1/revocations/events')).status).toBe(401);
    expect((await h.call('GET', '/v1/revocations/events', undefined, await ops.bearer('approver'))).status).toBe(403);
    const first = (await h.call('POST', `/ssf/poll/${id}`, { returnImmediately: true, maxEvents: 10 }, op)).json;
    const jtis = Object.keys(first.sets);
    expect(jtis).toHaveLength(1);
    expect(first.moreAvailable).toBe(false);
    // not acknowledged yet: served again
    expect(Object.keys((await h.call('POST', `/ssf/poll/${id}`, { returnImmediately: true }, op)).json.sets)).toEqual(jtis);
    const acked = (await h.call('POST', `/ssf/poll/${id}`, { ack: jtis, returnImmediately: true }, op)).json;
    expect(acked.sets).toEqual({});
    expect(h.kernel.revocation.propagation.view(entry.event_id)[0]).toMatchObject({ state: 'CLEAN', receivers: [{ stream_id: id, acknowledged: true, attempts: 1 }] });
    expect(await events()).toMatchObject([{ event_id: entry.event_id, state: 'CLEAN', receivers: [{ stream_id: id, acknowledged: true }] }]);
    const rec = (await journalRecords(h.store)).filter((r) => r.ale_type === 'REVOCATION_PROPAGATION');
    expect(rec).toEqual([expect.objectContaining({ completion_state: 'CLEAN', event_id: entry.event_id, revoked_kind: 'MANDATE_JTI', revoked_id: 'm-1' })]);
    // a push stream cannot be polled
    const push = (await h.call('POST', '/ssf/streams', { delivery: { method: PUSH, endpoint_url: 'http://127.0.0.1:9/x' } }, op)).json.stream_id;
    expect((await h.call('POST', `/ssf/poll/${push}`, { returnImmediately: true }, op)).status).toBe(409);
  });

  it('UNKNOWN when the receivers cannot be enumerated (a stream paused): operator alert and REVOCATION_ALERT; a kernel with no federation is CLEAN', async () => {
    const lone = await setup();
    const e0 = (await lone.h.call('POST', '/v1/revocations', { kind: 'KIA_KEY', id: 'k-0' }, lone.op)).json;
    await lone.h.kernel.revocation.idle();
    expect(lone.h.kernel.revocation.propagation.view(e0.event_id)[0]?.state).toBe('CLEAN');
    expect(lone.alerts).toEqual([]);

    const { h, op, alerts } = await setup();
    const id = (await h.call('POST', '/ssf/streams', { delivery: { method: POLL } }, op)).json.stream_id;
    await h.call('POST', '/ssf/status', { stream_id: id, status: 'paused' }, op);
    const e = (await h.call('POST', '/v1/revocations', { kind: 'KIA_KEY', id: 'k-1' }, op)).json;
    await h.kernel.revocation.idle();
    expect(h.kernel.revocation.propagation.view(e.event_id)[0]?.state).toBe('UNKNOWN');
    expect(alerts).toEqual([expect.objectContaining({ alert: 'REVOCATION_UNKNOWN', severity: 'critical', event_id: e.event_id })]);
    const rec = (await journalRecords(h.store)).filter((r) => r.ale_type === 'REVOCATION_ALERT' || r.ale_type === 'REVOCATION_PROPAGATION');
    expect(rec.map((r) => [r.ale_type, r.completion_state])).toEqual([['REVOCATION_PROPAGATION', 'UNKNOWN'], ['REVOCATION_ALERT', 'UNKNOWN']]);
  });
});
