/**
 * The SSF outbox across restarts (docs/revocation.md, "What survives a restart"), on a real store:
 * a kernel stopped with SETs unacknowledged and a new kernel on the same database delivers them
 * (same jti, same bytes, signed with the token key) and completes the events. Run by the embedded
 * libSQL (test/ssf-outbox.test.ts) and PostgreSQL (test/ssf-outbox-postgres.test.ts) stores.
 */
import { createServer, type Server } from 'node:http';
import { createLocalJWKSet, decodeJwt, jwtVerify, type JSONWebKeySet } from 'jose';
import { describe, expect, it } from 'vitest';
import { JoseTokenSigner } from '../../src/adapters/jose/token-signer.ts';
import { Ed25519Signer } from '../../src/adapters/noble/ed25519.ts';
import type { OperatorAlert } from '../../src/ports/alert.ts';
import type { AuditStore } from '../../src/ports/storage.ts';
import { freePort } from '../support/free-port.ts';
import { makeHarness, type Harness } from '../support/harness.ts';
import { journalRecords, makeOperators } from '../support/operators.ts';

const POLL = 'urn:ietf:rfc:8936';
const PUSH = 'urn:ietf:rfc:8935';

/** A database that outlives kernels: `open()` is a new connection to it, closed by `close()`. */
export type OutboxFixture = { open: () => Promise<{ store: AuditStore; close: () => Promise<void> }> };

type Ops = Awaited<ReturnType<typeof makeOperators>>;

/** The keys a kernel keeps across restarts (its data directory): the kernel key (its issuer) and the token key (its JWKS). */
type Keys = { signer: Ed25519Signer; tokens: JoseTokenSigner };
const newKeys = (): Keys => ({ signer: new Ed25519Signer(Ed25519Signer.generateSeed()), tokens: new JoseTokenSigner(JoseTokenSigner.generateSeed()) });

/** A kernel on `fx`'s database with the given keys, a settable clock and no revocation timer. */
async function boot(fx: OutboxFixture, ops: Ops, { signer, tokens }: Keys, offset = { ms: 0 }) {
  const { store, close } = await fx.open();
  const alerts: OperatorAlert[] = [];
  const h = makeHarness({ store, signer, deps: { operatorTokens: ops.verifier, tokens, clock: { nowIso: () => new Date(Date.now() + offset.ms).toISOString() }, alerts: { alert: (a) => void alerts.push(a) }, options: { revocation: { tickMs: 0 } } } });
  await h.started;
  const stop = async () => {
    h.kernel.stop();
    await close();
  };
  return { h, store, alerts, offset, stop };
}

/** An RFC 8935 push receiver that answers 202 to every SET while up, and keeps their bytes. */
async function pushReceiver() {
  const port = await freePort();
  const received: string[] = [];
  let server: Server | null = null;
  return {
    url: `http://127.0.0.1:${port}/ssf/push`,
    received,
    up: () =>
      new Promise<void>((resolve) => {
        server = createServer((req, res) => {
          let body = '';
          req.on('data', (d) => (body += String(d)));
          req.on('end', () => {
            received.push(body);
            res.writeHead(202).end();
          });
        }).listen(port, '127.0.0.1', () => resolve());
      }),
    down: () => new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve())),
  };
}

async function verifySet(h: Harness, token: string) {
  const jwks = (await h.call('GET', '/.well-known/jwks.json')).json as JSONWebKeySet;
  const { payload, protectedHeader } = await jwtVerify(token, createLocalJWKSet(jwks), { issuer: h.kernel.issuer, typ: 'secevent+jwt' });
  return { payload, protectedHeader };
}

export function runSsfOutboxCases(name: string, database: () => Promise<OutboxFixture>): void {
  describe(`the SSF outbox across restarts: ${name}`, () => {
    it('push receiver down at the revocation, kernel restarted, receiver up: it gets the SET (same bytes, verified) and the event is CLEAN after retry, recorded', async () => {
      const fx = await database();
      const ops = await makeOperators();
      const op = await ops.bearer('operator');
      const keys = newKeys();
      const rx = await pushReceiver(); // down
      const first = await boot(fx, ops, keys);
      const stream = (await first.h.call('POST', '/ssf/streams', { delivery: { method: PUSH, endpoint_url: rx.url } }, op)).json.stream_id as string;
      const entry = (await first.h.call('POST', '/v1/revocations', { kind: 'MANDATE_JTI', id: 'm-push', subject: { agent_id: 'agent-p' } }, op)).json;
      await first.h.kernel.revocation.idle(); // the first push failed
      expect(first.h.kernel.revocation.propagation.view(entry.event_id)[0]).toMatchObject({ state: 'PENDING', receivers: [{ stream_id: stream, acknowledged: false, attempts: 1 }] });
      const owed = (await first.store.listDocuments('ssf_outbox', 1, 100)).map((d) => JSON.parse(d.body));
      const set = owed.find((d) => d.op === 'owed')?.sets[0];
      expect(set).toMatchObject({ stream_id: stream, aud: 'op-operator', method: PUSH, jti: expect.any(String), token: expect.any(String) });
      await first.stop();

      const second = await boot(fx, ops, keys);
      // restored: the event is tracked again, as from its revocation time
      const events = (await second.h.call('GET', '/v1/revocations/events', undefined, op)).json.events;
      expect(events).toEqual([{ event_id: entry.event_id, kind: 'MANDATE_JTI', id: 'm-push', state: 'PENDING', started_at: expect.stringMatching(/^\d{4}-\d\d-\d\dT.*Z$/), after_retry: false, receivers: [{ stream_id: stream, aud: 'op-operator', method: PUSH, acknowledged: false, acked_ms: null, attempts: 0 }] }]);
      await rx.up();
      second.offset.ms = 30_000; // past the acknowledgement window: PARTIAL, then the retry reaches it
      await second.h.kernel.revocation.tick();
      expect(second.h.kernel.revocation.propagation.view(entry.event_id)[0]).toMatchObject({ state: 'CLEAN', after_retry: true, receivers: [{ acknowledged: true }] });
      expect(rx.received).toEqual([set.token]);
      const { payload, protectedHeader } = await verifySet(second.h, rx.received[0] as string);
      expect(protectedHeader.typ).toBe('secevent+jwt');
      expect(payload).toMatchObject({ jti: set.jti, txn: entry.event_id, aud: 'op-operator' });
      const states = (await journalRecords(second.store)).filter((r) => r.ale_type === 'REVOCATION_PROPAGATION').map((r) => [r.event_id, r.completion_state, r.after_retry ?? false]);
      expect(states).toEqual([
        [entry.event_id, 'PARTIAL', false],
        [entry.event_id, 'CLEAN', true],
      ]);
      await second.stop();

      // acknowledged: a third kernel pushes nothing again, and shows the event CLEAN
      const third = await boot(fx, ops, keys);
      third.offset.ms = 120_000;
      await third.h.kernel.revocation.tick();
      expect(rx.received).toHaveLength(1);
      expect(third.h.kernel.revocation.propagation.view(entry.event_id)[0]).toMatchObject({ state: 'CLEAN', after_retry: true });
      expect(third.alerts).toEqual([]);
      await third.stop();
      await rx.down();
    });

    it('instances sharing the store: two starting at once (one checkpoint each, or one refused, never a failed start); what others owe after a checkpoint is restored by the next start, what was settled before it is not', async () => {
      const fx = await database();
      const ops = await makeOperators();
      const op = await ops.bearer('operator');
      const keys = newKeys();
      const a = await boot(fx, ops, keys);
      const stream = (await a.h.call('POST', '/ssf/streams', { delivery: { method: POLL } }, op)).json.stream_id as string;
      const settled = (await a.h.call('POST', '/v1/revocations', { kind: 'KIA_KEY', id: 'k-settled' }, op)).json;
      await a.h.kernel.revocation.idle();
      const first = (await a.h.call('POST', `/ssf/poll/${stream}`, { returnImmediately: true }, op)).json.sets as Record<string, string>;
      await a.h.call('POST', `/ssf/poll/${stream}`, { ack: Object.keys(first), returnImmediately: true }, op);
      expect(a.h.kernel.revocation.propagation.view(settled.event_id)[0]?.state).toBe('CLEAN');

      // two instances start at once: both find the event settled and write a checkpoint past it
      const [b, c] = await Promise.all([boot(fx, ops, keys), boot(fx, ops, keys)]);
      const checkpoint = JSON.parse((await b.store.latestDocument('ssf_outbox_checkpoint'))!.body);
      expect(checkpoint.from_seq).toBeGreaterThan(1);
      // after it, A and B each revoke (B appends after A's entry, which it reads as another instance's)
      const byA = (await a.h.call('POST', '/v1/revocations', { kind: 'KIA_KEY', id: 'k-a' }, op)).json;
      const byB = (await b.h.call('POST', '/v1/revocations', { kind: 'KIA_KEY', id: 'k-b' }, op)).json;
      await Promise.all([a.h.kernel.revocation.idle(), b.h.kernel.revocation.idle()]);
      await Promise.all([a.stop(), b.stop(), c.stop()]);

      const d = await boot(fx, ops, keys);
      const owed = (await d.h.call('POST', `/ssf/poll/${stream}`, { returnImmediately: true }, op)).json.sets as Record<string, string>;
      expect(Object.values(owed).map((t) => decodeJwt(t).txn).sort()).toEqual([byA.event_id, byB.event_id].sort());
      expect(d.h.kernel.revocation.propagation.view().map((e) => e.id).sort()).toEqual(['k-a', 'k-b']);
      await d.h.call('POST', `/ssf/poll/${stream}`, { ack: Object.keys(owed), returnImmediately: true }, op);
      expect(d.h.kernel.revocation.propagation.view().map((e) => e.state)).toEqual(['CLEAN', 'CLEAN']);
      await d.stop();
      const e = await boot(fx, ops, keys);
      expect((await e.h.call('POST', `/ssf/poll/${stream}`, { returnImmediately: true }, op)).json.sets).toEqual({});
      await e.stop();
    });

    it('poll receiver: revoked, restarted before it polls: the poll answers the same SET (same jti and bytes); acked, restarted: not answered again', async () => {
      const fx = await database();
      const ops = await makeOperators();
      const op = await ops.bearer('operator');
      const keys = newKeys();
      const first = await boot(fx, ops, keys);
      const stream = (await first.h.call('POST', '/ssf/streams', { delivery: { method: POLL } }, op)).json.stream_id as string;
      expect((await first.h.call('POST', '/v1/revocations', { kind: 'XPID', id: 'xpid-q', subject: { agent_id: 'agent-q' } }, op)).status).toBe(201);
      await first.h.kernel.revocation.idle();
      const before = (await first.h.call('POST', `/ssf/poll/${stream}`, { returnImmediately: true }, op)).json.sets as Record<string, string>;
      expect(Object.keys(before)).toHaveLength(1);
      await first.stop(); // polled, never acknowledged

      const second = await boot(fx, ops, keys);
      const after = (await second.h.call('POST', `/ssf/poll/${stream}`, { returnImmediately: true }, op)).json;
      expect(after).toEqual({ sets: before, moreAvailable: false });
      const [jti, token] = Object.entries(after.sets as Record<string, string>)[0] as [string, string];
      const { payload } = await verifySet(second.h, token);
      expect(payload.jti).toBe(jti);
      const eventId = decodeJwt(token).txn as string;
      expect(second.h.kernel.revocation.propagation.view(eventId)[0]).toMatchObject({ state: 'PENDING', receivers: [{ stream_id: stream, acknowledged: false }] });
      expect((await second.h.call('POST', `/ssf/poll/${stream}`, { ack: [jti], returnImmediately: true }, op)).json).toEqual({ sets: {}, moreAvailable: false });
      expect(second.h.kernel.revocation.propagation.view(eventId)[0]).toMatchObject({ state: 'CLEAN', after_retry: false, receivers: [{ acknowledged: true }] });
      await second.stop();

      const third = await boot(fx, ops, keys);
      expect((await third.h.call('POST', `/ssf/poll/${stream}`, { returnImmediately: true }, op)).json).toEqual({ sets: {}, moreAvailable: false });
      expect((await third.h.call('GET', '/v1/revocations/events', undefined, op)).json.events).toMatchObject([{ event_id: eventId, kind: 'XPID', state: 'CLEAN', receivers: [{ stream_id: stream, acknowledged: true }] }]);
      const records = (await journalRecords(third.store)).filter((r) => r.ale_type === 'REVOCATION_PROPAGATION');
      expect(records.map((r) => [r.event_id, r.completion_state])).toEqual([[eventId, 'CLEAN']]);
      await third.stop();
    });
  });
}
