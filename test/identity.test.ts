/**
 * The identity half of issue 14 on a real kernel (Node, Bun, Deno): the development operator
 * key the start creates and announces, `kee operator token` minting tokens it accepts, the agent
 * registry behind them, `POST /v1/xpid/derive`, and a bad KEE_OPERATOR_JWKS stopping the start.
 */
import { execFile } from 'node:child_process';
import { existsSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { startServer, type RunningServer } from './runtime/servers.ts';
import { decodeJwt } from 'jose';
import { agentKeyPair, assertion, dpopHeaders } from './support/agent-auth.ts';
import { agentKey } from './support/operators.ts';

const servers: RunningServer[] = [];
afterAll(async () => {
  await Promise.all(servers.map((s) => s.stop()));
});

function mint(dataDir: string, ...args: string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile('node', ['bin/kee.mjs', 'operator', 'token', ...args], { env: { ...process.env, KEE_DATA_DIR: dataDir } }, (err, stdout, stderr) => (err ? reject(new Error(stderr)) : resolve(stdout.trim())));
  });
}

function keeCli(dataDir: string, ...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile('node', ['bin/kee.mjs', ...args], { env: { ...process.env, KEE_DATA_DIR: dataDir } }, (err, stdout, stderr) => resolve({ code: err ? ((err as { code?: number }).code ?? -1) : 0, stdout, stderr }));
  });
}

describe('identity on a running kernel', () => {
  it('node: agents authenticate by default (assertion, DPoP-bound session, credential with cnf.jkt); KEE_AUTH=none is warned at start and declared', async () => {
    const plain = await startServer('node', { env: { KEE_SIGNER: 'ed25519', KEE_AUTH: 'none' } });
    servers.push(plain);
    expect(plain.output()).toContain('kee: WARNING: KEE_AUTH=none: agents are not authenticated');
    expect(((await (await fetch(`${plain.base}/v1/manifest`)).json()) as { agent_authentication: string }).agent_authentication).toBe('none');
    // KEE_AUTH unset (empty): the default, `agents`
    const server = await startServer('node', { env: { KEE_SIGNER: 'ed25519', KEE_AUTH: '' } });
    servers.push(server);
    expect(server.output()).not.toContain('KEE_AUTH=none');
    const post = async (path: string, body: unknown, headers: Record<string, string>) =>
      fetch(`${server.base}${path}`, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify(body) });
    const key = await agentKeyPair();
    const operator = await mint(server.dataDir, '--role', 'operator');
    expect((await post('/v1/agents', { agent_id: 'a1', public_keys: [key.jwk] }, { authorization: `Bearer ${operator}` })).status).toBe(201);
    const manifest = (await (await fetch(`${server.base}/v1/manifest`)).json()) as { agent_authentication: string; kernel_keypair_fingerprint: string };
    expect(manifest.agent_authentication).toBe('agents');
    const aud = `kee.local/${manifest.kernel_keypair_fingerprint}`;
    expect((await post('/v1/sessions', { agent_id: 'a1' }, {})).status).toBe(401);
    // one-shot decisions name no session key: refused, agents authenticate through sessions
    const oneShot = await post('/v1/authorize', { principal: { type: 'Agent', id: 'a1' }, action: { type: 'Action', id: 'read' }, resource: { type: 'Dataset', id: 'd' }, context: {} }, {});
    expect(oneShot.status).toBe(401);
    expect(oneShot.headers.get('www-authenticate')).toMatch(/^DPoP/);
    const opened = await post('/v1/sessions', { agent_id: 'a1', client_assertion: await assertion(key, 'a1', aud) }, {});
    expect(opened.status).toBe(201);
    const { session_id, session_token } = (await opened.json()) as { session_id: string; session_token: string };
    const path = `/v1/sessions/${session_id}/authorize`;
    const request = { principal: { type: 'Agent', id: 'a1' }, action: { type: 'Action', id: 'read' }, resource: { type: 'Dataset', id: 'd' }, context: {} };
    const decided = await post(path, request, await dpopHeaders(key, 'POST', `${server.base}${path}`, session_token));
    expect(decided.status).toBe(200);
    const answer = (await decided.json()) as { decision: string; credential: string };
    expect(answer.decision).toBe('PERMIT');
    expect(decodeJwt(answer.credential).cnf).toEqual({ jkt: key.jkt });

    // the same through the CLI (kee agent keygen | register | session | authorize | close), no hand-made JWT
    const keyFile = join(server.dataDir, 'cli-agent.jwk');
    const cli = (...args: string[]) => keeCli(server.dataDir, 'agent', ...args, ...(args[0] === 'keygen' ? [] : ['--url', server.base]));
    const pub = JSON.parse((await cli('keygen', '--out', keyFile)).stdout) as { x: string };
    expect(statSync(keyFile).mode & 0o777).toBe(0o600);
    expect((await cli('keygen', '--out', keyFile)).stderr).toMatch(/exists: agent keys are never overwritten/);
    expect(JSON.parse((await cli('register', '--agent', 'cli-agent', '--key', keyFile, '--token', operator)).stdout)).toMatchObject({ agent_id: 'cli-agent', status: 'ACTIVE' });
    const got = await cli('authorize', '--agent', 'cli-agent', '--key', keyFile, '--action', 'read', '--resource', 'Dataset::d');
    expect(got.code, got.stderr).toBe(0);
    const cliAnswer = JSON.parse(got.stdout) as { decision: string; credential: string };
    expect(cliAnswer.decision).toBe('PERMIT');
    expect(decodeJwt(cliAnswer.credential).cnf).toMatchObject({ jkt: expect.any(String) });
    expect(pub.x).toMatch(/^[A-Za-z0-9_-]{43}$/);
    // a session kept across commands in a state file: authorize and close read it
    const state = join(server.dataDir, 'session.json');
    const noSession = await keeCli(server.dataDir, 'agent', 'authorize', '--action', 'read', '--resource', 'Dataset::d', '--state', state);
    expect(noSession.code).toBe(1);
    expect(noSession.stderr).toMatch(/^kee: no open session \(`.*session\.json`\): open one with `kee agent session/);
    const opened2 = await cli('session', '--agent', 'cli-agent', '--key', keyFile, '--state', state);
    expect(opened2.code, opened2.stderr).toBe(0);
    const shown = JSON.parse(opened2.stdout) as { session_id: string; block_id: string; agent_id: string; state: string };
    expect(shown).toEqual({ session_id: expect.any(String), block_id: expect.any(String), agent_id: 'cli-agent', state });
    expect(opened2.stdout).not.toContain('eyJ'); // the token stays in the state file
    expect(statSync(state).mode & 0o777).toBe(0o600);
    const inSession = (...args: string[]) => keeCli(server.dataDir, 'agent', ...args, '--state', state);
    const d1 = JSON.parse((await inSession('authorize', '--action', 'read', '--resource', 'Dataset::d')).stdout) as { decision: string; ale_seq: number; credential: string };
    expect(d1).toMatchObject({ decision: 'PERMIT', ale_seq: 2 });
    expect(decodeJwt(d1.credential).cnf).toEqual({ jkt: expect.any(String) });
    // the agent's own human_approval permits nothing: a HEM escalation opens; an approver answers it; the retry naming it is PERMIT
    const d2 = JSON.parse((await inSession('authorize', '--action', 'classify_gold', '--resource', 'Incident::m7.2', '--context', '{"human_approval":true}')).stdout) as { decision: string; ale_seq: number; escalation: { hem_id: string } };
    expect(d2).toMatchObject({ decision: 'DENY', ale_seq: 3, escalation: { status: 'PENDING' } });
    const approver = (await keeCli(server.dataDir, 'operator', 'token', '--role', 'approver')).stdout.trim();
    const approved = await keeCli(server.dataDir, 'hem', 'approve', d2.escalation.hem_id, '--token', approver, '--url', server.base);
    expect(approved.code, approved.stderr).toBe(0);
    const d3 = JSON.parse((await inSession('authorize', '--action', 'classify_gold', '--resource', 'Incident::m7.2', '--hem-id', d2.escalation.hem_id)).stdout) as { decision: string; ale_seq: number };
    expect(d3).toMatchObject({ decision: 'PERMIT', ale_seq: 4 });
    const block = JSON.parse((await inSession('close')).stdout) as { block_id: string; record_count: number };
    expect(block).toMatchObject({ block_id: shown.block_id, record_count: 5 });
    expect(existsSync(state)).toBe(false);
    const stranger = await cli('authorize', '--agent', 'nobody', '--key', keyFile, '--action', 'read', '--resource', 'Dataset::d');
    expect(stranger.code).toBe(1);
    expect(stranger.stderr).toMatch(/^kee: UNAUTHENTICATED: agent `nobody` is not registered/);
  }, 120_000);

  it.each(['node', 'bun', 'deno'] as const)('%s: dev operator key announced, CLI tokens accepted by the registry, derive_xpid public', async (runtime) => {
    const server = await startServer(runtime, { env: { KEE_SIGNER: 'ed25519' } });
    servers.push(server);
    expect(server.output()).toMatch(/no KEE_OPERATOR_JWKS configured: operator tokens are verified against a DEVELOPMENT key under .*dev-operator.*kee operator token --role operator/);
    expect(statSync(join(server.dataDir, 'dev-operator', 'operator.jwk')).mode & 0o777).toBe(0o600);

    const call = (method: string, path: string, token?: string, body?: unknown) =>
      fetch(`${server.base}${path}`, {
        method,
        headers: { ...(token ? { authorization: `Bearer ${token}` } : {}), ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      });
    const operator = await mint(server.dataDir, '--role', 'operator');
    const auditor = await mint(server.dataDir, '--role', 'auditor', '--ttl', '60');
    const registered = await call('POST', '/v1/agents', operator, { agent_id: 'dispatcher-7', roles: ['dispatch'], public_keys: [await agentKey()] });
    expect(registered.status).toBe(201);
    const { xpid } = (await registered.json()) as { xpid: string };
    const got = await call('GET', '/v1/agents/dispatcher-7', auditor);
    expect(got.status).toBe(200);
    expect(await got.json()).toMatchObject({ xpid, status: 'ACTIVE', registered_by: 'dev-operator' });
    expect((await call('POST', '/v1/agents/dispatcher-7/revoke', auditor)).status).toBe(403);
    const anonymous = await call('GET', '/v1/agents');
    expect(anonymous.status).toBe(401);
    expect(anonymous.headers.get('www-authenticate')).toBe('Bearer realm="kee"');

    const derived = await call('POST', '/v1/xpid/derive', undefined, {
      initiating_kia_id: 'kia:myauberge.k.k.:booking-agent-01',
      responding_kia_id: 'kia:ponyhouse.farm:supplier-agent-01',
      initiated_at: '2026-07-20T09:14:33Z',
      initiating_nonce: 'a3f8c2e1d4b7',
      responding_nonce: 'b1e9d3f6a2c4',
    });
    expect(await derived.json()).toEqual({ xpid: '4e626324-7648-54c1-b97a-74965e359449' });
    const manifest = (await (await call('GET', '/v1/manifest')).json()) as { xpid_derivation_version: string };
    expect(manifest.xpid_derivation_version).toBe('1.1');
  }, 120_000);

  it('a KEE_OPERATOR_JWKS that cannot be read stops the start with one line', async () => {
    const failed = await startServer('node', { env: { KEE_SIGNER: 'ed25519', KEE_OPERATOR_JWKS: '/nonexistent/jwks.json' }, timeoutMs: 60_000 }).then(
      (s) => {
        servers.push(s);
        return null;
      },
      (e: unknown) => e as Error,
    );
    expect(failed?.message).toMatch(/exited with 1/);
    expect(failed?.message).toContain('kee: cannot start: operator keys: KEE_OPERATOR_JWKS: cannot read `/nonexistent/jwks.json`: no such file');
    expect(failed?.message).not.toMatch(/\n\s+at /);
  }, 120_000);
});
