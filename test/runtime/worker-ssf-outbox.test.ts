/**
 * The SSF outbox on workerd (`wrangler dev`, local D1; docs/revocation.md "What survives a
 * restart"): a poll stream, a revocation, the Worker stopped before the receiver acknowledges and
 * started again on the same D1 state (a new process, a new isolate): the poll answers the same SET
 * (same jti, same bytes); acknowledged, the Worker restarted again: it is not answered again, and
 * the start after does not even read it (the outbox checkpoint).
 */
import { decodeJwt, exportJWK, generateKeyPair, SignJWT } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startServer, type RunningServer } from './servers.ts';

const POLL = 'urn:ietf:rfc:8936';
const AUDIENCE = 'kee-worker';

let worker: RunningServer | undefined;
let VARS: Record<string, string>;
let operator: string;
beforeAll(async () => {
  const { privateKey, publicKey } = await generateKeyPair('EdDSA', { extractable: true });
  const jwks = JSON.stringify({ keys: [{ ...(await exportJWK(publicKey)), kid: 'wk' }] });
  VARS = { KEE_SIGNING_KEY: '42'.repeat(32), KEE_TOKEN_KEY: '17'.repeat(32), KEE_OPERATOR_JWKS: jwks, KEE_OPERATOR_AUDIENCE: AUDIENCE };
  operator = await new SignJWT({ roles: ['operator'] }).setProtectedHeader({ alg: 'EdDSA', kid: 'wk' }).setSubject('w-op').setAudience(AUDIENCE).setExpirationTime('15m').sign(privateKey);
});
afterAll(async () => worker?.stop());

async function call(path: string, body?: unknown, method = 'POST'): Promise<{ status: number; json: Record<string, unknown> }> {
  const res = await fetch(`${worker!.base}${path}`, { method, headers: { authorization: `Bearer ${operator}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) }, ...(body === undefined ? {} : { body: JSON.stringify(body) }) });
  const text = await res.text();
  return { status: res.status, json: text ? (JSON.parse(text) as Record<string, unknown>) : {} };
}

/** Stops the Worker and starts a new one on the same local D1 state. */
async function restart(): Promise<void> {
  const { dataDir } = worker!;
  await worker!.stop();
  worker = await startServer('workerd', { dataDir, vars: VARS });
}

describe('the SSF outbox on workerd', () => {
  it('a poll receiver: revoked, the Worker restarted before it polls: the same SET (same jti and bytes); acknowledged, restarted: not answered again', async () => {
    worker = await startServer('workerd', { vars: VARS });
    const created = await call('/ssf/streams', { delivery: { method: POLL } });
    expect(created.status, JSON.stringify(created.json)).toBe(201);
    const stream = created.json.stream_id as string;
    const revoked = await call('/v1/revocations', { kind: 'XPID', id: 'xpid-w', subject: { agent_id: 'agent-w' } });
    expect(revoked.status, JSON.stringify(revoked.json)).toBe(201);
    const before = (await call(`/ssf/poll/${stream}`, { returnImmediately: true })).json.sets as Record<string, string>;
    expect(Object.values(before).map((t) => decodeJwt(t).txn)).toEqual([revoked.json.event_id]);

    await restart(); // polled, never acknowledged
    const after = (await call(`/ssf/poll/${stream}`, { returnImmediately: true })).json;
    expect(after).toEqual({ sets: before, moreAvailable: false });
    const [jti] = Object.keys(before) as [string];
    expect((await call(`/ssf/poll/${stream}`, { ack: [jti], returnImmediately: true })).json).toEqual({ sets: {}, moreAvailable: false });
    const events = (await call('/v1/revocations/events', undefined, 'GET')).json.events;
    expect(events).toMatchObject([{ event_id: revoked.json.event_id, state: 'CLEAN', receivers: [{ stream_id: stream, acknowledged: true }] }]);

    await restart();
    expect((await call(`/ssf/poll/${stream}`, { returnImmediately: true })).json).toEqual({ sets: {}, moreAvailable: false });
    // that start found the event settled and moved the outbox checkpoint past it: the next one does not replay it
    await restart();
    expect((await call(`/ssf/poll/${stream}`, { returnImmediately: true })).json).toEqual({ sets: {}, moreAvailable: false });
    expect((await call('/v1/revocations/events', undefined, 'GET')).json.events).toEqual([]);
  }, 300_000);
});
