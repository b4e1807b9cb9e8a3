/**
 * `kee mcp-gateway` with the official SDK's Client as the agent and the real
 * @modelcontextprotocol/server-filesystem over a temporary directory as the upstream (stdio):
 * what reaches the upstream, what the agent gets back, and what the kernel records. The gateway
 * runs in-process over an in-memory kernel (the harness) so faults can be injected; the CLI
 * (embedded libSQL kernel, stdio, package verified with `kee audit verify`) is at the end.
 */
import { execFile } from 'node:child_process';
import type { AddressInfo } from 'node:net';
import { serve } from '@hono/node-server';
import { mkdtempSync, readFileSync, readdirSync, realpathSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { InMemoryTransport } from '@modelcontextprotocol/sdk/inMemory.js';
import { ToolListChangedNotificationSchema, type CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { sha256 } from '@noble/hashes/sha2.js';
import { exportJWK, generateKeyPair } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { KeeAgent, type AgentPrivateJwk } from '../src/client/index.ts';
import { ed25519Verifier } from '../src/adapters/noble/ed25519.ts';
import { verifyPackage } from '../src/kernel/audit/verify-package.ts';
import { toHex } from '../src/kernel/hex.ts';
import { canonicalJson } from '../src/kernel/jcs.ts';
import type { AuditRecord } from '../src/kernel/types.ts';
import type { UpstreamConfig } from '../src/mcp/config.ts';
import { embeddedGovernor } from '../src/mcp/embedded-governor.ts';
import type { Governor } from '../src/mcp/governor.ts';
import { remoteGovernor } from '../src/mcp/remote-governor.ts';
import { createGatewaySession, toolRequest, type GatewayDeps } from '../src/mcp/gateway.ts';
import { connectUpstreams, type Catalog, type GatewayTool } from '../src/mcp/upstreams.ts';
import { neverPermits } from '../src/adapters/cedar/never-permits.ts';
import { policyVisibility } from '../src/mcp/tool-visibility.ts';
import { ToolListNotifier } from '../src/mcp/tool-list-changes.ts';
import { loadCedar } from './support/cedar.ts';
import { makeHarness, type Harness } from './support/harness.ts';
import { until } from './support/until.ts';

const run = promisify(execFile);
const FS_SERVER = 'node_modules/@modelcontextprotocol/server-filesystem/dist/index.js';
const FAULTY = 'test/support/mcp-faulty-upstream.mjs';
const READ_ONLY = readFileSync('examples/profiles/mcp-read-only-v1.cedar', 'utf8');
/** A profile that permits every call: shows what the gateway refuses whatever the policy says. */
const PERMIT_ALL = '@id("all") @tier("2") @cap_rrs_control_id("t:all") permit (principal, action, resource);';
const AGENT = 'mcp-agent-1';

const root = realpathSync(mkdtempSync(join(tmpdir(), 'kee-mcp-')));
const file = join(root, 'notes.txt');
writeFileSync(file, 'the original text\n');

async function agentJwk(): Promise<AgentPrivateJwk> {
  const { privateKey } = await generateKeyPair('EdDSA', { extractable: true });
  const { x, d } = await exportJWK(privateKey);
  return { kty: 'OKP', crv: 'Ed25519', x: x as string, d: d as string };
}

type Gateway = { h: Harness; client: Client; catalog: Catalog; key: AgentPrivateJwk; kernelUrl: string; sessionId: () => Promise<string>; close: () => Promise<{ block_id: string } | null>; records: () => Promise<AuditRecord[]> };
const open: Gateway[] = [];
const stops: (() => unknown)[] = [];

async function gateway(policies: string, upstreams: Record<string, UpstreamConfig>, mode: 'embedded' | 'remote' = 'embedded', hideNeverPermitted = false, extra: Partial<GatewayDeps> = {}): Promise<Gateway> {
  // KEE_AUTH=agents: the session is opened with the agent's client assertion, decided with its holder
  const h = makeHarness({ profile: { capProfileId: 'mcp-tools', policies }, deps: { options: { auth: 'agents' } } });
  await h.started;
  const key = await agentJwk();
  let governor: Governor;
  let kernelUrl = '';
  if (mode === 'embedded') governor = await embeddedGovernor(h.kernel, AGENT, key);
  else {
    // the operator registers the agent; the gateway reaches the kernel over HTTP as the agent
    await h.kernel.registerAgent({ agent_id: AGENT, public_keys: [{ x: key.x }] }, 'test-operator');
    const server = serve({ fetch: h.app.fetch, port: 0, hostname: '127.0.0.1' });
    await new Promise((r) => server.once('listening', r));
    stops.push(() => server.close());
    kernelUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    governor = await remoteGovernor(kernelUrl, AGENT, key);
  }
  const catalog = await connectUpstreams(upstreams, () => {});
  const visible = hideNeverPermitted ? policyVisibility(() => h.kernel.activePolicyText(), (p, r, k) => neverPermits(loadCedar(), p, r, k), AGENT) : undefined;
  // as the CLI wires it: an upstream's changed list, or a policy swap, is checked and told to the agent
  const changes = new ToolListNotifier(catalog, visible, () => {});
  catalog.onToolsChanged(() => changes.check());
  h.kernel.onPolicyEpoch(async () => () => void setImmediate(() => changes.check()));
  const gw = createGatewaySession({ governor, catalog, sha256, log: () => {}, callTimeoutMs: 10_000, changes, ...extra });
  const [agentSide, gatewaySide] = InMemoryTransport.createLinkedPair();
  await gw.server.connect(gatewaySide);
  const client = new Client({ name: 'test-agent', version: '1' });
  await client.connect(agentSide);
  const sessionId = async () => (await gw.kee).sessionId;
  const records = async () => (await h.store.listRecords(await sessionId())).map((r) => JSON.parse(r.canonical) as AuditRecord);
  const g = { h, client, catalog, key, kernelUrl, sessionId, close: gw.closeKee, records };
  open.push(g);
  return g;
}

const fs = (): Record<string, UpstreamConfig> => ({ fs: { command: 'node', args: [FS_SERVER, root], roots: [root] } });
const text = (r: unknown) => ((r as CallToolResult).content[0] as { text: string }).text;

afterAll(async () => {
  for (const stop of stops) stop();
  for (const g of open) {
    await g.client.close().catch(() => {});
    await g.catalog.close().catch(() => {});
  }
});

describe('mcp-gateway: the read-only profile over the real filesystem server', () => {
  let g: Gateway;
  beforeAll(async () => {
    g = await gateway(READ_ONLY, fs());
  }, 60_000);

  it('offers the union of upstream tools as <server>__<tool>, with their annotations', async () => {
    const { tools } = await g.client.listTools();
    const names = tools.map((t) => t.name);
    expect(names).toContain('fs__read_text_file');
    expect(names).toContain('fs__write_file');
    expect(tools.find((t) => t.name === 'fs__read_text_file')?.annotations?.readOnlyHint).toBe(true);
  });

  it('passes a permitted read through and records the decision and digests of arguments and answer, not their bodies', async () => {
    const args = { path: file };
    const r = await g.client.callTool({ name: 'fs__read_text_file', arguments: args });
    expect(r.isError).toBeFalsy();
    expect(text(r)).toBe('the original text\n');
    const recs = await g.records();
    const permit = recs.find((x) => x.ale_type === 'CEDAR_PERMIT');
    expect(permit).toMatchObject({ principal: { type: 'Agent', id: AGENT }, action: { type: 'Action', id: 'tools/call' }, resource: { type: 'Tool', id: 'fs/read_text_file' }, policy_ids: ['mcp-fs-read'] });
    // the gateway enforces the decision itself: no credential is issued, and the record names none
    expect(permit).not.toHaveProperty('credential_jti');
    expect(permit).not.toHaveProperty('intent');
    const result = recs.find((x) => x.ale_type === 'TOOL_RESULT');
    const digest = (v: unknown) => `sha256:${toHex(sha256(new TextEncoder().encode(canonicalJson(v))))}`;
    expect(result).toMatchObject({ decision_seq: permit?.ale_seq, tool: 'fs/read_text_file', outcome: 'ok', arguments_digest: digest(args), result_digest: digest(r) });
    expect(JSON.stringify(recs)).not.toContain('the original text');
  });

  it('refuses a forbidden write, naming why, and the file is untouched', async () => {
    const r = await g.client.callTool({ name: 'fs__write_file', arguments: { path: file, content: 'overwritten' } });
    expect(r.isError).toBe(true);
    expect(text(r)).toMatch(/denied `fs__write_file` by Kee: no policy permits it .*nothing was forwarded/);
    expect(readFileSync(file, 'utf8')).toBe('the original text\n');
    const deny = (await g.records()).filter((x) => x.ale_type === 'CEDAR_DENY').at(-1);
    expect(deny).toMatchObject({ decision: 'DENY', resource: { type: 'Tool', id: 'fs/write_file' } });
  });

  it('denies arguments crafted to slip past the projection (traversal, unicode tricks, undeclared or relative paths)', async () => {
    const crafted: [Record<string, unknown>, RegExp][] = [
      [{ path: `${root}/../${root.split('/').at(-1)}/notes.txt` }, /`\.\.` segment/],
      [{ path: `${root}/\uff0e\uff0e/etc/passwd` }, /`\.\.` segment/],
      [{ path: `${root}/notes\u202etxt.exe` }, /bidirectional/],
      [{ path: `${root}/note\u200bs.txt` }, /zero-width/],
      [{ path: `${root}/cafe\u0301.txt` }, /NFC/],
      [{ path: `${root}/notes.txt\u0000.png` }, /control/],
      [{ path: 'notes.txt' }, /not absolute/],
      [{ path: '~/notes.txt' }, /starts with `~`/],
      [{ path: file, sneaky: '/etc/passwd' }, /`sneaky` is not declared/],
      [{ path: ['/etc/passwd'] }, /./],
    ];
    for (const [args, why] of crafted) {
      const r = await g.client.callTool({ name: 'fs__read_text_file', arguments: args });
      expect(r.isError, JSON.stringify(args)).toBe(true);
      expect(text(r), JSON.stringify(args)).toMatch(/^kee: denied `fs__read_text_file` by Kee/);
      expect(text(r), JSON.stringify(args)).toMatch(why);
    }
    // outside the roots with a clean path: a policy decision, not a projection problem
    const outside = await g.client.callTool({ name: 'fs__read_text_file', arguments: { path: '/etc/hostname' } });
    expect(text(outside)).toMatch(/denied .* no policy permits it \(Kee session/);
    expect((await g.records()).filter((x) => x.ale_type === 'TOOL_RESULT')).toHaveLength(1);
  });

  it('closes the Kee session into a Session Block whose package verifies offline with `kee audit verify`', async () => {
    const block = await g.close();
    expect(block).not.toBeNull();
    const pkg = join(root, '..', `${block?.block_id}.json`);
    writeFileSync(pkg, JSON.stringify(await g.h.kernel.getPackage(block?.block_id as string)));
    const r = await run('node', ['bin/kee.mjs', 'audit', 'verify', pkg]);
    expect(r.stdout).toContain(`OK block ${block?.block_id}`);
    // a call after the close is refused
    const late = await g.client.callTool({ name: 'fs__read_text_file', arguments: { path: file } });
    expect(text(late)).toMatch(/refused .*the Kee session is closed/);
  }, 60_000);
});

describe('mcp-gateway: tools/list hides the tools the policy never permits', () => {
  it('hides the write tools under the read-only profile, keeps the rest, and still decides a call to a hidden tool', async () => {
    const g = await gateway(READ_ONLY, fs(), 'embedded', true);
    const names = (await g.client.listTools()).tools.map((t) => t.name);
    for (const hidden of ['fs__write_file', 'fs__edit_file', 'fs__create_directory', 'fs__move_file']) expect(names).not.toContain(hidden);
    for (const shown of ['fs__read_text_file', 'fs__list_directory', 'fs__list_allowed_directories']) expect(names).toContain(shown);
    const r = await g.client.callTool({ name: 'fs__write_file', arguments: { path: file, content: 'overwritten' } });
    expect(text(r)).toMatch(/denied `fs__write_file` by Kee: no policy permits it/);
    expect(readFileSync(file, 'utf8')).toBe('the original text\n');
    expect((await g.records()).at(-1)).toMatchObject({ ale_type: 'CEDAR_DENY', resource: { type: 'Tool', id: 'fs/write_file' } });
  }, 60_000);

  it('hides nothing a permit may allow: under the HEM profile every write stays (a human may approve it)', async () => {
    const g = await gateway(readFileSync('examples/profiles/mcp-hem-writes-v3.cedar', 'utf8'), fs(), 'embedded', true);
    const names = (await g.client.listTools()).tools.map((t) => t.name);
    expect(names).toEqual([...g.catalog.tools.keys()]);
  }, 60_000);
});

describe('mcp-gateway: notifications/tools/list_changed', () => {
  /** The next list_changed the agent receives. */
  const nextListChanged = (client: Client) => new Promise<void>((resolve) => client.setNotificationHandler(ToolListChangedNotificationSchema, () => resolve()));

  it('tells the agent when an upstream changes its tool list, and offers the new tool', async () => {
    const g = await gateway(PERMIT_ALL, { bad: { command: 'node', args: [FAULTY], roots: [] } });
    expect(g.client.getServerCapabilities()?.tools).toEqual({ listChanged: true });
    expect((await g.client.listTools()).tools.map((t) => t.name)).not.toContain('bad__extra');
    const told = nextListChanged(g.client);
    expect(text(await g.client.callTool({ name: 'bad__grow', arguments: {} }))).toBe('grown');
    await told;
    expect((await g.client.listTools()).tools.map((t) => t.name)).toContain('bad__extra');
    expect(text(await g.client.callTool({ name: 'bad__extra', arguments: {} }))).toBe('extra');
  }, 60_000);

  it('tells the agent when a policy hot swap changes which tools are hidden', async () => {
    const g = await gateway(READ_ONLY, fs(), 'embedded', true);
    expect((await g.client.listTools()).tools.map((t) => t.name)).not.toContain('fs__write_file');
    const told = nextListChanged(g.client);
    await g.h.kernel.activatePolicy({ capProfileId: 'mcp-tools', version: 2, policies: readFileSync('examples/profiles/mcp-read-write-v2.cedar', 'utf8') });
    await told;
    expect((await g.client.listTools()).tools.map((t) => t.name)).toContain('fs__write_file');
  }, 60_000);
});

describe('mcp-gateway: result_records "with_next_call"', () => {
  it('commits a TOOL_RESULT with the next decision, and it is durable before the next call is forwarded', async () => {
    const g = await gateway(PERMIT_ALL, fs(), 'embedded', false, { resultRecords: 'with_next_call' });
    await g.sessionId();
    // the transactions the kernel commits, as the record types each holds
    const batches: string[][] = [];
    const append = g.h.store.appendRecords.bind(g.h.store);
    g.h.store.appendRecords = async (records, statuses) => {
      batches.push(records.map((r) => r.aleType));
      return append(records, statuses);
    };
    expect(text(await g.client.callTool({ name: 'fs__read_text_file', arguments: { path: file } }))).toBe('the original text\n');
    expect(text(await g.client.callTool({ name: 'fs__read_text_file', arguments: { path: file } }))).toBe('the original text\n');
    // the first answer's record and the second decision: one transaction
    expect(batches.slice(0, 2)).toEqual([['CEDAR_PERMIT'], ['TOOL_RESULT', 'CEDAR_PERMIT']]);
    const block = await g.close();
    const types = (await g.h.kernel.getPackage(block?.block_id as string)).records.map((r) => r.record.ale_type);
    expect(types).toEqual(['SESSION_OPEN', 'CEDAR_PERMIT', 'TOOL_RESULT', 'CEDAR_PERMIT', 'TOOL_RESULT', 'SESSION_COMPLETE']);
  }, 60_000);

  it('forwards nothing more once an answer cannot be recorded', async () => {
    const g = await gateway(PERMIT_ALL, fs(), 'embedded', false, { resultRecords: 'with_next_call' });
    expect(text(await g.client.callTool({ name: 'fs__read_text_file', arguments: { path: file } }))).toBe('the original text\n');
    // the answer went out with its record queued, not yet written: the store fails now
    g.h.store.failWith = new Error('disk full');
    const r = await g.client.callTool({ name: 'fs__write_file', arguments: { path: file, content: 'overwritten' } });
    expect(r.isError).toBe(true);
    expect(text(r)).toMatch(/refused `fs__write_file`: .*nothing was forwarded/);
    expect(readFileSync(file, 'utf8')).toBe('the original text\n');
    g.h.store.failWith = null;
  }, 60_000);
});

describe('mcp-gateway: bodies kept when the configuration asks (`record_bodies`)', () => {
  it('records the arguments and answer of the tools named, digests only for the others, and leaves out a body over 64 KiB', async () => {
    const big = join(root, 'big.txt');
    writeFileSync(big, 'b'.repeat(70_000));
    const g = await gateway(READ_ONLY, { fs: { command: 'node', args: [FS_SERVER, root], roots: [root], record_bodies: ['read_text_file'] } });
    const r = await g.client.callTool({ name: 'fs__read_text_file', arguments: { path: file } });
    expect(text(r)).toBe('the original text\n');
    expect((await g.client.callTool({ name: 'fs__read_text_file', arguments: { path: big } })).isError).toBeFalsy();
    expect((await g.client.callTool({ name: 'fs__list_allowed_directories', arguments: {} })).isError).toBeFalsy();
    const results = (await g.records()).filter((x) => x.ale_type === 'TOOL_RESULT');
    expect(results).toHaveLength(3);
    const [small, large, other] = results;
    expect(small).toMatchObject({ tool: 'fs/read_text_file', arguments: { path: file }, result: JSON.parse(JSON.stringify(r)) });
    expect(large).toMatchObject({ tool: 'fs/read_text_file', arguments: { path: big }, bodies_omitted: ['result'] });
    expect(large).not.toHaveProperty('result');
    expect(other).toMatchObject({ tool: 'fs/list_allowed_directories' });
    expect(other).not.toHaveProperty('arguments');
    expect(other).not.toHaveProperty('result');
    const block = await g.close();
    expect(await verifyPackage(await g.h.kernel.getPackage(block?.block_id as string), { merkle: g.h.merkle, verifier: ed25519Verifier })).toMatchObject({ ok: true });
  }, 60_000);
});

describe('mcp-gateway with a remote kernel (HTTP, client assertion, DPoP)', () => {
  it('passes a permitted read, refuses a forbidden write; decisions and the TOOL_RESULT are in the verified package', async () => {
    const g = await gateway(READ_ONLY, fs(), 'remote');
    const args = { path: file };
    const read = await g.client.callTool({ name: 'fs__read_text_file', arguments: args });
    expect(text(read)).toBe('the original text\n');
    const write = await g.client.callTool({ name: 'fs__write_file', arguments: { path: file, content: 'overwritten' } });
    expect(text(write)).toMatch(/denied `fs__write_file` by Kee: no policy permits it/);
    expect(readFileSync(file, 'utf8')).toBe('the original text\n');
    const recs = await g.records();
    expect(recs[0]).toMatchObject({ ale_type: 'SESSION_OPEN', agent_id: AGENT, authenticated: true });
    expect(recs.map((r) => r.ale_type)).toEqual(['SESSION_OPEN', 'CEDAR_PERMIT', 'TOOL_RESULT', 'CEDAR_DENY']);
    const digest = (v: unknown) => `sha256:${toHex(sha256(new TextEncoder().encode(canonicalJson(v))))}`;
    expect(recs[2]).toMatchObject({ decision_seq: 2, tool: 'fs/read_text_file', outcome: 'ok', arguments_digest: digest(args), result_digest: digest(read) });
    // over HTTP as the session's agent (DPoP): a TOOL_RESULT that follows no PERMIT of the session is refused
    const agent = await KeeAgent.fromPrivateJwk({ kernelUrl: g.kernelUrl, agentId: AGENT, privateJwk: g.key });
    const other = await agent.openSession();
    const report = { tool: 'fs/write_file', arguments_digest: digest({}), outcome: 'ok', result_digest: digest({}) };
    await expect(other.recordToolResult({ ...report, decision_seq: 2 })).rejects.toMatchObject({ status: 409, code: 'CONFLICT' });
    const deny = (await other.authorize({ ...toolRequest(AGENT, g.catalog.tools.get('fs__write_file') as GatewayTool, {}) })) as { decision: string; ale_seq: number };
    expect(deny.decision).toBe('DENY');
    await expect(other.recordToolResult({ ...report, decision_seq: deny.ale_seq })).rejects.toMatchObject({ status: 409, code: 'CONFLICT' });
    await other.close();
    const block = await g.close();
    const pkg = await g.h.kernel.getPackage(block?.block_id as string);
    expect(pkg.records.map((r) => r.record.ale_type)).toEqual(['SESSION_OPEN', 'CEDAR_PERMIT', 'TOOL_RESULT', 'CEDAR_DENY', 'SESSION_COMPLETE']);
    expect(await verifyPackage(pkg, { merkle: g.h.merkle, verifier: ed25519Verifier })).toMatchObject({ ok: true });
  }, 60_000);

  it('refuses every call when the kernel cannot be reached', async () => {
    const g = await gateway(READ_ONLY, fs(), 'remote');
    await g.sessionId();
    for (const stop of stops.splice(0)) stop();
    await until('the kernel refusing connections', () => fetch(`${g.kernelUrl}/healthz`).then(() => false, () => true));
    const r = await g.client.callTool({ name: 'fs__read_text_file', arguments: { path: file } });
    expect(text(r)).toMatch(/refused `fs__read_text_file`: the kernel could not decide \(.*\); nothing was forwarded/);
  }, 60_000);
});

describe('mcp-gateway fails closed', () => {
  it('refuses arguments the projection cannot vouch for even when the policy permits everything', async () => {
    const g = await gateway(PERMIT_ALL, fs());
    const r = await g.client.callTool({ name: 'fs__write_file', arguments: { path: `${root}/../escaped.txt`, content: 'x' } });
    expect(text(r)).toMatch(/refused `fs__write_file` by the gateway although policy permitted it: path argument `path` has a `\.\.` segment/);
    expect(readdirSync(join(root, '..'))).not.toContain('escaped.txt');
  }, 60_000);

  it('refuses every call while the kernel cannot write its records, and forwards nothing', async () => {
    const g = await gateway(PERMIT_ALL, fs());
    await g.sessionId();
    g.h.store.failWith = new Error('disk full');
    const r = await g.client.callTool({ name: 'fs__write_file', arguments: { path: file, content: 'overwritten' } });
    expect(r.isError).toBe(true);
    expect(text(r)).toMatch(/refused `fs__write_file`: the kernel could not decide \(.*audit store is unavailable.*nothing was forwarded/);
    expect(readFileSync(file, 'utf8')).toBe('the original text\n');
    g.h.store.failWith = null;
  }, 60_000);

  it('refuses every call while the kernel is in DENY_ALL, whatever the policy says', async () => {
    const g = await gateway(PERMIT_ALL, fs());
    g.h.kernel.state.enter('DENY_ALL', 'stored cap profile failed re-verification');
    const r = await g.client.callTool({ name: 'fs__write_file', arguments: { path: file, content: 'overwritten' } });
    expect(text(r)).toMatch(/denied `fs__write_file` by Kee: no policy permits it; kernel is in DENY_ALL/);
    expect(readFileSync(file, 'utf8')).toBe('the original text\n');
  }, 60_000);

  it('refuses calls to a suspended agent', async () => {
    const g = await gateway(PERMIT_ALL, fs());
    // a first call while ACTIVE: the gateway's Kee session is open before the suspension
    expect(text(await g.client.callTool({ name: 'fs__read_file', arguments: { path: file } }))).toContain('the original text');
    await g.h.kernel.setAgentStatus(AGENT, 'SUSPENDED', 'test-operator');
    const r = await g.client.callTool({ name: 'fs__write_file', arguments: { path: file, content: 'overwritten' } });
    expect(text(r)).toMatch(/denied `fs__write_file` by Kee: no policy permits it; AGENT_SUSPENDED/);
    expect(readFileSync(file, 'utf8')).toBe('the original text\n');
  }, 60_000);

  it('refuses calls to an upstream that crashed, before and during a call, and records the failure', async () => {
    const g = await gateway(PERMIT_ALL, { bad: { command: 'node', args: [FAULTY], roots: [] } });
    expect(text(await g.client.callTool({ name: 'bad__fine', arguments: { text: 'hi' } }))).toBe('fine: hi');
    const during = await g.client.callTool({ name: 'bad__crash', arguments: {} });
    expect(during.isError).toBe(true);
    expect(text(during)).toMatch(/refused `bad__crash`: upstream `bad` failed: .*Connection closed/);
    const after = await g.client.callTool({ name: 'bad__fine', arguments: { text: 'hi' } });
    expect(text(after)).toMatch(/refused `bad__fine`: upstream `bad` is down/);
    const failed = (await g.records()).filter((x) => x.ale_type === 'TOOL_RESULT' && x.outcome === 'failed');
    expect(failed.map((x) => x.tool)).toEqual(['bad/crash', 'bad/fine']);
  }, 60_000);

  it('does not pass on a malformed upstream answer', async () => {
    const g = await gateway(PERMIT_ALL, { bad: { command: 'node', args: [FAULTY], roots: [] } });
    for (const name of ['bad__bad_shape', 'bad__bad_structured']) {
      const r = await g.client.callTool({ name, arguments: {} });
      expect(r.isError, name).toBe(true);
      expect(text(r), name).toMatch(/upstream `bad` failed: .*its answer, if any, was not passed on/);
      expect(JSON.stringify(r), name).not.toContain('SECRET');
    }
    expect((await g.records()).filter((x) => x.ale_type === 'TOOL_RESULT').map((x) => x.outcome)).toEqual(['failed', 'failed']);
  }, 60_000);

  it('refuses an unknown tool', async () => {
    const g = await gateway(PERMIT_ALL, fs());
    expect(text(await g.client.callTool({ name: 'fs__nope', arguments: {} }))).toMatch(/unknown tool `fs__nope`/);
  }, 60_000);
});
