/**
 * P8 through the Node entry: two kernel processes, B configured with `KEE_SSF_TRANSMITTERS`
 * (poll every 200 ms, the bearer token from `token_env`) naming A. B sets up its stream at A by itself
 * (its revocation timer), and a revocation posted at A is refused at B.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { agentRead } from './support/harness.ts';
import { startServer, type RunningServer } from './runtime/servers.ts';
import { operatorTokenFor } from './support/operator-cli.ts';
import { until } from './support/until.ts';

const servers: RunningServer[] = [];
afterAll(async () => {
  for (const s of servers) await s.stop();
});

describe('revocation between two Node kernel processes (KEE_SSF_TRANSMITTERS)', () => {
  it('B creates its poll stream at A from its configuration; a mandate revoked at A is refused at B', async () => {
    const env = { KEE_AUTH: 'none', KEE_SIGNER: 'ed25519' };
    const a = await startServer('node', { env, timeoutMs: 180_000 });
    servers.push(a);
    // poll: B's own URL (for a push_url) is not known before startServer picks its port
    const transmitters = [{ config_url: `${a.base}/.well-known/ssf-configuration`, delivery: 'poll', token_env: 'PEER_A_TOKEN' }];
    const b = await startServer('node', { env: { ...env, KEE_SSF_TRANSMITTERS: JSON.stringify(transmitters), KEE_SSF_POLL_MS: '200', PEER_A_TOKEN: await operatorTokenFor(a.dataDir) }, timeoutMs: 180_000 });
    servers.push(b);
    const health = await until('B stream at A', async () => {
      const h = (await (await fetch(`${b.base}/healthz`)).json()) as { revocation?: { status_confirmable: boolean; streams_in: { stream_id: string | null }[] } };
      return h.revocation?.streams_in[0]?.stream_id ? h.revocation : undefined;
    }, { timeoutMs: 60_000, everyMs: 100 });
    expect(health.status_confirmable).toBe(true);

    const decideAtB = async () => {
      const s = (await (await fetch(`${b.base}/v1/sessions`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ agent_id: 'agent-z' }) })).json()) as { session_id: string };
      const r = await fetch(`${b.base}/v1/sessions/${s.session_id}/authorize`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(agentRead('agent-z')) });
      return (await r.json()) as { decision: string; reasons: string[] };
    };
    expect((await decideAtB()).decision).toBe('PERMIT');
    const posted = await fetch(`${a.base}/v1/revocations`, { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${await operatorTokenFor(a.dataDir)}` }, body: JSON.stringify({ kind: 'MANDATE_JTI', id: 'mandate-z', subject: { agent_id: 'agent-z' } }) });
    expect(posted.status).toBe(201);
    const denied = await until('DENY at B', async () => {
      const d = await decideAtB();
      return d.decision === 'DENY' ? d : undefined;
    }, { timeoutMs: 60_000, everyMs: 100 });
    expect(denied.reasons.join(' ')).toMatch(/^MANDATE_REVOKED: MANDATE_JTI `mandate-z` of agent `agent-z`/);
    const feed = (await (await fetch(`${b.base}/v1/revocations`)).json()) as { revocations: { source: string; id: string }[] };
    expect(feed.revocations).toEqual([expect.objectContaining({ id: 'mandate-z', source: 'CAEP' })]);
  }, 480_000);
});
