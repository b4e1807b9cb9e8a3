/**
 * The SSF outbox through a crash: a Node kernel process (embedded libSQL in its data directory)
 * answers 201 to a revocation for a poll stream and is killed with SIGKILL at once (no graceful
 * shutdown); the next process on the same data directory serves the same SET (verified against
 * its JWKS, `txn` the event). Acknowledged, killed again: the third process serves nothing and
 * shows the event CLEAN.
 */
import { createLocalJWKSet, jwtVerify, type JSONWebKeySet } from 'jose';
import { afterAll, describe, expect, it } from 'vitest';
import { startServer, type RunningServer } from './runtime/servers.ts';
import { operatorTokenFor } from './support/operator-cli.ts';

const servers: RunningServer[] = [];
afterAll(async () => {
  for (const s of servers) await s.stop();
});

describe('the SSF outbox through SIGKILL', () => {
  it('a revocation answered 201 then SIGKILL: the next process polls out the same SET; acked, SIGKILL: not served again', async () => {
    const env = { KEE_AUTH: 'none', KEE_SIGNER: 'ed25519' };
    const first = await startServer('node', { env, timeoutMs: 180_000 });
    servers.push(first);
    const { dataDir } = first;
    const headers = { 'content-type': 'application/json', authorization: `Bearer ${await operatorTokenFor(dataDir)}` };
    const post = (s: RunningServer, path: string, body: unknown) => fetch(`${s.base}${path}`, { method: 'POST', headers, body: JSON.stringify(body) });
    const stream = ((await (await post(first, '/ssf/streams', { delivery: { method: 'urn:ietf:rfc:8936' } })).json()) as { stream_id: string }).stream_id;
    const revoked = await post(first, '/v1/revocations', { kind: 'MANDATE_JTI', id: 'mandate-crash', subject: { agent_id: 'agent-c' } });
    expect(revoked.status).toBe(201);
    const entry = (await revoked.json()) as { event_id: string };
    await first.kill();

    const second = await startServer('node', { env, dataDir, timeoutMs: 180_000 });
    servers.push(second);
    const polled = (await (await post(second, `/ssf/poll/${stream}`, { returnImmediately: true })).json()) as { sets: Record<string, string>; moreAvailable: boolean };
    expect(Object.keys(polled.sets)).toHaveLength(1);
    const [jti, token] = Object.entries(polled.sets)[0] as [string, string];
    const jwks = (await (await fetch(`${second.base}/.well-known/jwks.json`)).json()) as JSONWebKeySet;
    const { payload } = await jwtVerify(token, createLocalJWKSet(jwks), { typ: 'secevent+jwt' });
    expect(payload).toMatchObject({ jti, txn: entry.event_id });
    expect(await (await post(second, `/ssf/poll/${stream}`, { ack: [jti], returnImmediately: true })).json()).toEqual({ sets: {}, moreAvailable: false });
    await second.kill();

    const third = await startServer('node', { env, dataDir, timeoutMs: 180_000 });
    servers.push(third);
    expect(await (await post(third, `/ssf/poll/${stream}`, { returnImmediately: true })).json()).toEqual({ sets: {}, moreAvailable: false });
    const events = (await (await fetch(`${third.base}/v1/revocations/events`, { headers })).json()) as { events: { event_id: string; state: string }[] };
    expect(events.events).toEqual([expect.objectContaining({ event_id: entry.event_id, state: 'CLEAN' })]);
  }, 600_000);
});
