/**
 * Human escalations (HEM) through `kee mcp-gateway`, with the sample profile
 * `examples/profiles/mcp-hem-writes-v3.cedar` (a write outside a `drafts` folder needs an
 * approver), the official SDK's Client as the agent and the real
 * @modelcontextprotocol/server-filesystem as the upstream. Without elicitation the pending
 * escalation is a tool error naming it; an approver's answer (operator token with the `approver`
 * role, over HTTP) decides what the next identical call does. With elicitation the user is asked
 * to retry once an approver answered, within the same `tools/call`.
 */
import type { AddressInfo } from 'node:net';
import { serve } from '@hono/node-server';
import { mkdirSync, mkdtempSync, readFileSync, realpathSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { InMemoryTransport } from '@modelcontextprotocol/sdk/inMemory.js';
import { ElicitRequestSchema, type CallToolResult, type ElicitResult } from '@modelcontextprotocol/sdk/types.js';
import { sha256 } from '@noble/hashes/sha2.js';
import { exportJWK, generateKeyPair } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AuditRecord } from '../src/kernel/types.ts';
import { embeddedGovernor } from '../src/mcp/embedded-governor.ts';
import type { Governor } from '../src/mcp/governor.ts';
import { remoteGovernor } from '../src/mcp/remote-governor.ts';
import { createGatewaySession } from '../src/mcp/gateway.ts';
import type { ToolEscalation } from '../src/mcp/governor.ts';
import { connectUpstreams, type Catalog } from '../src/mcp/upstreams.ts';
import { makeHarness, type Harness } from './support/harness.ts';
import { makeOperators } from './support/operators.ts';

const FS_SERVER = 'node_modules/@modelcontextprotocol/server-filesystem/dist/index.js';
const HEM_WRITES = readFileSync('examples/profiles/mcp-hem-writes-v3.cedar', 'utf8');
const AGENT = 'mcp-hem-agent';

const root = realpathSync(mkdtempSync(join(tmpdir(), 'kee-mcp-hem-')));
mkdirSync(join(root, 'drafts'));
const report = join(root, 'report.txt');
writeFileSync(report, 'v1\n');

let h: Harness;
let catalog: Catalog;
let approver: Record<string, string>;
const clients: Client[] = [];
const stops: (() => unknown)[] = [];

beforeAll(async () => {
  const operators = await makeOperators();
  approver = await operators.bearer('approver');
  h = makeHarness({ profile: { capProfileId: 'mcp-tools', policies: HEM_WRITES }, deps: { options: { auth: 'agents' }, operatorTokens: operators.verifier } });
  await h.started;
  catalog = await connectUpstreams({ fs: { command: 'node', args: [FS_SERVER, root], roots: [root] } }, () => {});
}, 60_000);

afterAll(async () => {
  for (const c of clients) await c.close().catch(() => {});
  for (const stop of stops) stop();
  await catalog?.close().catch(() => {});
});

let agents = 0;
/** One MCP session of the agent through the gateway; `elicit` makes the client declare elicitation and answer with it. */
async function agentSession(elicit?: (message: string) => Promise<ElicitResult>, remote = false) {
  const { privateKey } = await generateKeyPair('EdDSA', { extractable: true });
  const { x, d } = await exportJWK(privateKey);
  const key = { kty: 'OKP' as const, crv: 'Ed25519' as const, x: x as string, d: d as string };
  const agentId = `${AGENT}-${++agents}`;
  let governor: Governor;
  if (!remote) governor = await embeddedGovernor(h.kernel, agentId, key);
  else {
    // the operator registers the agent; the gateway reaches the kernel over HTTP as the agent
    await h.kernel.registerAgent({ agent_id: agentId, public_keys: [{ x: key.x }] }, 'test-operator');
    const server = serve({ fetch: h.app.fetch, port: 0, hostname: '127.0.0.1' });
    await new Promise((r) => server.once('listening', r));
    stops.push(() => server.close());
    governor = await remoteGovernor(`http://127.0.0.1:${(server.address() as AddressInfo).port}`, agentId, key);
  }
  const gw = createGatewaySession({ governor, catalog, sha256, log: () => {}, callTimeoutMs: 10_000 });
  const [agentSide, gatewaySide] = InMemoryTransport.createLinkedPair();
  await gw.server.connect(gatewaySide);
  const client = new Client({ name: 'test-agent', version: '1' }, { capabilities: elicit ? { elicitation: {} } : {} });
  if (elicit) client.setRequestHandler(ElicitRequestSchema, (request) => elicit(request.params.message));
  await client.connect(agentSide);
  clients.push(client);
  const records = async () => (await h.store.listRecords((await gw.kee).sessionId)).map((r) => JSON.parse(r.canonical) as AuditRecord);
  return { client, records };
}

const text = (r: unknown) => ((r as CallToolResult).content[0] as { text: string }).text;
const escalationOf = (r: unknown) => ((r as CallToolResult)._meta?.['kee/escalation'] ?? null) as ToolEscalation | null;
const answer = (hemId: string, verb: 'approve' | 'reject') => h.call('POST', `/v1/hem/escalations/${hemId}/${verb}`, { comment: 'checked' }, approver);

describe('mcp-gateway: human escalations without elicitation', () => {
  it('a write inside drafts passes without a human', async () => {
    const { client } = await agentSession();
    const r = await client.callTool({ name: 'fs__write_file', arguments: { path: join(root, 'drafts', 'a.txt'), content: 'draft' } });
    expect(r.isError).toBeFalsy();
    expect(readFileSync(join(root, 'drafts', 'a.txt'), 'utf8')).toBe('draft');
  });

  it('pending: a tool error names the escalation; approved by an approver: the identical call passes and is recorded, another call does not', async () => {
    const { client, records } = await agentSession();
    const args = { path: report, content: 'v2\n' };
    const first = await client.callTool({ name: 'fs__write_file', arguments: args });
    expect(first.isError).toBe(true);
    const e = escalationOf(first);
    expect(e).toMatchObject({ hem_class: 'HEM-MCP-WRITE', status: 'PENDING' });
    expect(text(first)).toContain(`needs a human's approval (policy \`mcp-fs-write-outside-drafts-needs-human\`): Kee escalation \`${e?.hem_id}\` (HEM-MCP-WRITE) is PENDING until ${e?.expires_at}`);
    expect(text(first)).toMatch(/nothing was forwarded$/);
    expect(readFileSync(report, 'utf8')).toBe('v1\n');
    // asked again before anyone answered: the same escalation, still refused
    const again = await client.callTool({ name: 'fs__write_file', arguments: args });
    expect(escalationOf(again)).toMatchObject({ hem_id: e?.hem_id, status: 'PENDING' });
    expect(readFileSync(report, 'utf8')).toBe('v1\n');

    expect((await answer(e?.hem_id as string, 'approve')).status).toBe(200);
    // other arguments are another call: the approval does not cover them
    const other = await client.callTool({ name: 'fs__write_file', arguments: { path: report, content: 'something else\n' } });
    expect(escalationOf(other)?.hem_id).not.toBe(e?.hem_id);
    expect(readFileSync(report, 'utf8')).toBe('v1\n');
    const approved = await client.callTool({ name: 'fs__write_file', arguments: args });
    expect(approved.isError).toBeFalsy();
    expect(readFileSync(report, 'utf8')).toBe('v2\n');
    const recs = await records();
    const permit = recs.find((x) => x.ale_type === 'CEDAR_PERMIT');
    expect(permit).toMatchObject({ resource: { type: 'Tool', id: 'fs/write_file' }, hem_id: e?.hem_id, hem_resolution: 'APPROVED', policy_ids: ['mcp-fs-write'] });
    expect(recs.find((x) => x.ale_type === 'TOOL_RESULT')).toMatchObject({ decision_seq: permit?.ale_seq, tool: 'fs/write_file', outcome: 'ok' });
  });

  it('rejected by an approver: the identical call stays refused, naming the rejection', async () => {
    const { client, records } = await agentSession();
    const args = { path: join(root, 'kept.txt'), content: 'x' };
    const first = await client.callTool({ name: 'fs__write_file', arguments: args });
    const e = escalationOf(first);
    expect(e?.status).toBe('PENDING');
    expect((await answer(e?.hem_id as string, 'reject')).status).toBe(200);
    for (let i = 0; i < 2; i++) {
      const r = await client.callTool({ name: 'fs__write_file', arguments: args });
      expect(r.isError).toBe(true);
      expect(escalationOf(r)).toMatchObject({ hem_id: e?.hem_id, status: 'REJECTED' });
      expect(text(r)).toMatch(new RegExp(`denied \`fs__write_file\` by Kee: policy \`mcp-fs-write-outside-drafts-needs-human\`; Kee escalation \`${e?.hem_id}\` \\(HEM-MCP-WRITE\\) is REJECTED .*nothing was forwarded`));
    }
    expect(() => readFileSync(join(root, 'kept.txt'))).toThrow();
    const recs = await records();
    expect(recs.filter((x) => x.ale_type === 'CEDAR_DENY').map((x) => x.hem_resolution)).toEqual(['PENDING', 'REJECTED', 'REJECTED']);
    expect(recs.some((x) => x.ale_type === 'CEDAR_PERMIT' || x.ale_type === 'TOOL_RESULT')).toBe(false);
  });
});

describe('mcp-gateway: human escalations with a remote kernel', () => {
  it('names the hem_id over HTTP on the identical call: approved, it passes', async () => {
    const { client, records } = await agentSession(undefined, true);
    const path = join(root, 'remote.txt');
    const args = { path, content: 'over http' };
    const e = escalationOf(await client.callTool({ name: 'fs__write_file', arguments: args }));
    expect(e?.status).toBe('PENDING');
    expect((await answer(e?.hem_id as string, 'approve')).status).toBe(200);
    const r = await client.callTool({ name: 'fs__write_file', arguments: args });
    expect(r.isError).toBeFalsy();
    expect(readFileSync(path, 'utf8')).toBe('over http');
    expect((await records()).filter((x) => x.ale_type.startsWith('CEDAR_')).map((x) => [x.ale_type, x.hem_id])).toEqual([
      ['CEDAR_DENY', e?.hem_id],
      ['CEDAR_PERMIT', e?.hem_id],
    ]);
  }, 60_000);
});

describe('mcp-gateway: human escalations through MCP elicitation', () => {
  it('asks the user; once an approver approved, the retry the user accepts passes within the same call', async () => {
    const messages: string[] = [];
    const { client, records } = await agentSession(async (message) => {
      messages.push(message);
      // the approver answers on the kernel, out of band; the user then asks for the retry
      const hemId = /escalation (hem-\S+)/.exec(message)?.[1] as string;
      expect((await answer(hemId, 'approve')).status).toBe(200);
      return { action: 'accept', content: { retry: true } };
    });
    const path = join(root, 'elicited.txt');
    const r = await client.callTool({ name: 'fs__write_file', arguments: { path, content: 'approved' } });
    expect(r.isError).toBeFalsy();
    expect(readFileSync(path, 'utf8')).toBe('approved');
    expect(messages).toHaveLength(1);
    expect(messages[0]).toMatch(/needs a human's approval for `fs__write_file`: escalation hem-\S+ \(HEM-MCP-WRITE\) waits for an approver .*Only an approver can approve it/);
    expect((await records()).filter((x) => x.ale_type.startsWith('CEDAR_')).map((x) => [x.ale_type, x.hem_resolution])).toEqual([
      ['CEDAR_DENY', 'PENDING'],
      ['CEDAR_PERMIT', 'APPROVED'],
    ]);
  });

  it('accepting a retry while nobody approved asks again; declining is the pending tool error, and nothing is forwarded', async () => {
    let asked = 0;
    const { client } = await agentSession(async () => (++asked === 1 ? { action: 'accept', content: { retry: true } } : { action: 'decline' }));
    const path = join(root, 'declined.txt');
    const r = await client.callTool({ name: 'fs__write_file', arguments: { path, content: 'no' } });
    expect(asked).toBe(2);
    expect(r.isError).toBe(true);
    expect(escalationOf(r)?.status).toBe('PENDING');
    expect(text(r)).toMatch(/is PENDING until .*nothing was forwarded$/);
    expect(() => readFileSync(path)).toThrow();
  });
});
