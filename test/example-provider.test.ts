/**
 * examples/provider end to end: an agent asks the kernel (in-process, on loopback) for a PERMIT,
 * then presents its credential to the example provider running on workerd (wrangler dev, the
 * example's own wrangler.toml), whose `kee/verifier` middleware checks it unchanged on workerd.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { serve, type ServerType } from '@hono/node-server';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort } from './support/free-port.ts';
import { agentKeyPair } from './support/agent-auth.ts';
import { agentRead, makeHarness } from './support/harness.ts';
import { capProfileDeps, makePublishers, sign } from './support/cap-profile.ts';
import { toHex } from '../src/kernel/hex.ts';

const AUD = 'https://datasets.example';
const publishers = await makePublishers(3);
const h = makeHarness({ deps: { capProfile: capProfileDeps(publishers), options: { acd: { profile: { operator_id: 'urn:soos:kia:example-operator:jp:v1', jurisdictions: [{ jurisdiction_code: 'JP', regulatory_regime: ['APPI'], ptd_endpoint: null }] } } } } });
let kernelServer: ServerType;
let kernelUrl = '';
let provider: ChildProcess;
let providerUrl = '';
let out = '';

beforeAll(async () => {
  await h.started;
  // the KIA Party Registry, signed by two of the three publishers: the provider resolves the kernel key from it
  const me = h.kernel.publicKey();
  const registry = { registry_type: 'kia-party-registry', registry_id: 'example', version: 1, issued_at: '2026-12-01T00:00:00Z', kernels: [{ kia_id: me.key_id, group_public_key: me.public_key }], resource_providers: [{ provider_id: 'example-provider', acd_required: false, resource_audiences: [AUD] }] };
  expect((await h.call('PUT', '/v1/party-registry', await sign(registry, publishers.slice(0, 2)))).status).toBe(200);
  const kport = await freePort();
  kernelServer = serve({ fetch: h.app.fetch, port: kport, hostname: '127.0.0.1' });
  kernelUrl = `http://127.0.0.1:${kport}`;
  const pport = await freePort();
  providerUrl = `http://127.0.0.1:${pport}`;
  const vars = { KEE_URL: kernelUrl, KEE_ISSUER: h.kernel.issuer, KEE_POLL_SECONDS: '0', KEE_REGISTRY_PUBLISHERS: publishers.map((p) => toHex(p.publicKey)).join(',') };
  provider = spawn(
    join('node_modules', '.bin', 'wrangler'),
    ['dev', '--config', 'examples/provider/wrangler.toml', '--ip', '127.0.0.1', '--port', String(pport), '--persist-to', mkdtempSync(join(tmpdir(), 'kee-provider-')),
      ...Object.entries(vars).flatMap(([k, v]) => ['--var', `${k}:${v}`]), '--show-interactive-dev-session=false', '--log-level', 'warn', '--inspector-port', String(await freePort())],
    { env: { ...process.env, WRANGLER_SEND_METRICS: 'false', NO_COLOR: '1' }, stdio: ['ignore', 'pipe', 'pipe'], detached: true },
  );
  provider.stdout?.on('data', (d) => (out += String(d)));
  provider.stderr?.on('data', (d) => (out += String(d)));
  const deadline = Date.now() + 120_000;
  for (;;) {
    if (provider.exitCode !== null) throw new Error(`wrangler exited with ${provider.exitCode}:\n${out}`);
    try {
      if ((await fetch(`${providerUrl}/healthz`)).status === 200) break;
    } catch {
      /* not up yet */
    }
    if (Date.now() > deadline) throw new Error(`the provider did not start:\n${out}`);
    await new Promise((r) => setTimeout(r, 250));
  }
}, 150_000);

afterAll(async () => {
  if (provider?.pid !== undefined && provider.exitCode === null) {
    const exited = new Promise((r) => provider.once('exit', r));
    process.kill(-provider.pid, 'SIGTERM');
    await exited;
  }
  kernelServer?.close();
  h.kernel.stop();
});

const ask = async (request: object) => {
  const res = await fetch(`${kernelUrl}/v1/authorize`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ ...request, audience: AUD }) });
  return (await res.json()) as { decision: string; credential?: string; ale_seq: number; block_id: string };
};
const read = (path: string, credential: string | undefined, agent = 'agent-1') =>
  fetch(`${providerUrl}${path}`, { headers: { 'x-agent-id': agent, ...(credential ? { authorization: `Bearer ${credential}` } : {}) } });

describe('agent → kernel → provider on workerd', () => {
  it('a credential for the request opens it, and nothing else', async () => {
    const d = await ask(agentRead('agent-1'));
    expect(d.decision).toBe('PERMIT');
    const ok = await read('/datasets/quake-sensors', d.credential);
    expect(ok.status).toBe(200);
    const body = (await ok.json()) as { authorized_by: { ale_seq: number; block_id: string } };
    expect(body.authorized_by).toMatchObject({ ale_seq: d.ale_seq, block_id: d.block_id });
    expect((await read('/datasets/quake-sensors', undefined)).status).toBe(401);
    const other = await read('/datasets/payroll', d.credential);
    expect(other.status).toBe(403);
    expect(((await other.json()) as { code: string }).code).toBe('INTENT_MISMATCH');
    expect((await (await read('/datasets/quake-sensors', d.credential, 'agent-2')).json()) as { code: string }).toMatchObject({ code: 'INTENT_MISMATCH' });
  }, 60_000);

  it('a revoked credential is refused by the provider', async () => {
    const d = await ask(agentRead('agent-1'));
    expect((await read('/datasets/quake-sensors', d.credential)).status).toBe(200);
    expect((await fetch(`${kernelUrl}/v1/credentials/revoke`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ token: d.credential }) })).status).toBe(200);
    const refused = await read('/datasets/quake-sensors', d.credential);
    expect(refused.status).toBe(403);
    expect(((await refused.json()) as { code: string }).code).toBe('REVOKED');
  }, 60_000);

  it('a regulated dataset also needs the ACD handshake: the provider verifies the party registry, fetches, validates (under the registry key) and caches the record and reports its grant (ALE-058)', async () => {
    await h.kernel.registerAgent({ agent_id: 'agent-acd', public_keys: [(await agentKeyPair()).jwk] }, 'op');
    const s = await h.kernel.openSession('agent-acd');
    const d = await h.kernel.authorize(s.session_id, { ...agentRead('agent-acd'), audience: AUD });
    expect(d.decision).toBe('PERMIT');
    const get = (sid: string) => fetch(`${providerUrl}/regulated/quake-sensors`, { headers: { 'x-agent-id': 'agent-acd', authorization: `Bearer ${d.credential}`, 'x-aep-session-id': sid } });
    const ok = await get(s.session_id);
    expect(ok.status, await ok.clone().text()).toBe(200);
    const body = (await ok.json()) as { acd_session_id: string; operator_id: string };
    expect(body.operator_id).toBe('urn:soos:kia:example-operator:jp:v1');
    // cached for the session: the same record, no second handshake
    expect(((await (await get(s.session_id)).json()) as { acd_session_id: string }).acd_session_id).toBe(body.acd_session_id);
    const journal = (await h.store.sessionsWithStatus('OPEN', 1000)).find((x) => x.agent_id === 'kee-kernel');
    const acd = (await h.store.listRecords(journal?.session_id ?? '')).map((r) => JSON.parse(r.canonical) as Record<string, unknown>).filter((r) => r.acd_session_id === body.acd_session_id);
    expect(acd.map((r) => r.ale_type)).toEqual(['ACD_QUERY_RECEIVED', 'ACD_RECORD_ISSUED', 'ACD_VALIDATION_PASSED']);
    // another session id: the kernel refuses it (Check 4)
    const refused = await get(crypto.randomUUID());
    expect(refused.status).toBe(403);
    expect(await refused.json()).toMatchObject({ code: 'ACD_CHECK_FAILED', failed_check: 4 });
  }, 60_000);
});
