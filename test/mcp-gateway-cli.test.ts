/**
 * `kee mcp-gateway` as a user runs it: an embedded libSQL kernel in a fresh data directory, the
 * sample profile signed on first use with the development publishers, the real filesystem
 * server upstream, the official SDK Client as the agent over stdio and then over Streamable
 * HTTP; each session's audit package (`--packages`) verifies offline with `kee audit verify`.
 */
import { execFile, spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, realpathSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import Database from 'libsql';
import { describe, expect, it } from 'vitest';
import { until } from './support/until.ts';

const run = promisify(execFile);
const dir = realpathSync(mkdtempSync(join(tmpdir(), 'kee-mcp-cli-')));
const files = join(dir, 'files');
const packages = join(dir, 'packages');
const config = join(dir, 'gateway.json');
// KEE_AUTH set explicitly (its default is changing); the gateway opens sessions with client assertions either way
const env = { ...(process.env as Record<string, string>), KEE_AUTH: 'agents', KEE_DATA_DIR: join(dir, 'data') };
const text = (r: unknown) => ((r as CallToolResult).content[0] as { text: string }).text;

async function kee(...args: string[]): Promise<{ code: number; out: string }> {
  try {
    const r = await run('node', ['bin/kee.mjs', ...args], { env });
    return { code: 0, out: r.stdout + r.stderr };
  } catch (e) {
    const err = e as { code: number; stdout: string; stderr: string };
    return { code: err.code, out: err.stdout + err.stderr };
  }
}

function writeConfig(): void {

  writeFileSync(join(files, 'a.txt'), 'alpha\n');
  writeFileSync(
    config,
    JSON.stringify({
      agent: { id: 'desktop-agent' },
      profile: { cedar: resolve('examples/profiles/mcp-read-only-v1.cedar'), id: 'mcp-tools', version: 1 },
      upstreams: { fs: { command: 'node', args: [resolve('node_modules/@modelcontextprotocol/server-filesystem/dist/index.js'), files], roots: [files] } },
    }),
  );
}


async function exercise(client: Client): Promise<void> {
  // the read-only profile never permits a write: tools/list hides them (a call is still decided)
  const names = (await client.listTools()).tools.map((t) => t.name);
  expect(names).toContain('fs__read_text_file');
  expect(names).not.toContain('fs__write_file');
  const read = await client.callTool({ name: 'fs__read_text_file', arguments: { path: join(files, 'a.txt') } });
  expect(text(read)).toBe('alpha\n');
  const write = await client.callTool({ name: 'fs__write_file', arguments: { path: join(files, 'a.txt'), content: 'changed' } });
  expect(text(write)).toMatch(/denied `fs__write_file` by Kee: no policy permits it/);
  expect(readFileSync(join(files, 'a.txt'), 'utf8')).toBe('alpha\n');
}

async function verifyNewPackage(before: string[]): Promise<string> {
  const added = readdirSync(packages).filter((f) => !before.includes(f));
  expect(added).toHaveLength(1);
  const r = await kee('audit', 'verify', join(packages, added[0] as string));
  expect(r.out).toContain('OK block');
  expect(r.code).toBe(0);
  const pkg = JSON.parse(readFileSync(join(packages, added[0] as string), 'utf8')) as { records: { record: Record<string, unknown> }[] };
  return pkg.records.map((r) => r.record.ale_type).join(' ');
}

describe('kee mcp-gateway (CLI)', () => {
  it('refuses a bad config in one line (exit 2)', async () => {
    writeFileSync(join(dir, 'bad.json'), JSON.stringify({ agent: { id: 'a' }, upstreams: { Bad_Name: { command: 'x' } } }));
    const r = await kee('mcp-gateway', '--config', join(dir, 'bad.json'));
    expect(r.code).toBe(2);
    expect(r.out.trim().split('\n')).toHaveLength(1);
    expect(r.out).toMatch(/^kee mcp-gateway: config .*`upstreams`: upstream names are 1-32 of a-z/);
    const http = await kee('mcp-gateway', '--config', join(dir, 'bad.json'), '--http', '0.0.0.0:9000');
    expect(http.out).toMatch(/not a loopback address/);
    expect(http.code).toBe(2);
  }, 30_000);

  it('governs an agent over stdio, then over Streamable HTTP; each session is a verified package', async () => {
    mkdirSync(files, { recursive: true });
    writeConfig();
    const stdio = new StdioClientTransport({ command: 'node', args: ['bin/kee.mjs', 'mcp-gateway', '--config', config, '--packages', packages], env, stderr: 'pipe' });
    let log = '';
    stdio.stderr?.on('data', (d: Buffer) => (log += d.toString()));
    const client = new Client({ name: 'cli-test-agent', version: '1' });
    await client.connect(stdio);
    expect(log).toContain('cap profile mcp-tools version 1 signed with the development publishers and activated');
    await exercise(client);
    await client.close();
    await until('the stdio session\'s audit package written', () => log.includes('audit package'), { timeoutMs: 60_000 });
    expect(await verifyNewPackage([])).toBe('SESSION_OPEN CEDAR_PERMIT TOOL_RESULT CEDAR_DENY SESSION_COMPLETE');

    // the same data directory over HTTP: the profile is already active, the agent key is reused
    const child = spawn('node', ['bin/kee.mjs', 'mcp-gateway', '--config', config, '--packages', packages, '--http', '127.0.0.1:0'], { env, stdio: ['ignore', 'ignore', 'pipe'] });
    let httpLog = '';
    child.stderr.on('data', (d: Buffer) => (httpLog += d.toString()));
    await until('the HTTP gateway listening', () => /listening on http:\/\/127\.0\.0\.1:\d+\/mcp/.test(httpLog), { timeoutMs: 60_000 });
    expect(httpLog).toContain('cap profile mcp-tools version 1 is active');
    const url = /listening on (http:\/\/127\.0\.0\.1:\d+\/mcp)/.exec(httpLog)?.[1] as string;
    const before = readdirSync(packages);
    const transport = new StreamableHTTPClientTransport(new URL(url));
    const httpClient = new Client({ name: 'cli-test-agent', version: '1' });
    await httpClient.connect(transport);
    await exercise(httpClient);
    await transport.terminateSession();
    await httpClient.close();
    await until('the HTTP session\'s audit package written', () => readdirSync(packages).length > before.length, { timeoutMs: 60_000 });
    expect(await verifyNewPackage(before)).toBe('SESSION_OPEN CEDAR_PERMIT TOOL_RESULT CEDAR_DENY SESSION_COMPLETE');
    child.kill('SIGTERM');
    await new Promise((r) => child.once('exit', r));
  }, 120_000);

  it('has committed what it answered: killed (-9) right after a call, its records are in the file (the default: libSQL on the main thread)', async () => {
    mkdirSync(files, { recursive: true });
    writeConfig();
    const stdio = new StdioClientTransport({ command: 'node', args: ['bin/kee.mjs', 'mcp-gateway', '--config', config], env, stderr: 'ignore' });
    const client = new Client({ name: 'cli-test-agent', version: '1' });
    await client.connect(stdio);
    const read = await client.callTool({ name: 'fs__read_text_file', arguments: { path: join(files, 'a.txt') } });
    expect(text(read)).toBe('alpha\n');
    const denied = await client.callTool({ name: 'fs__write_file', arguments: { path: join(files, 'a.txt'), content: 'changed' } });
    expect(denied.isError).toBe(true);
    const pid = stdio.pid as number;
    process.kill(pid, 'SIGKILL');
    await until('the killed gateway gone', () => {
      try {
        process.kill(pid, 0);
        return false;
      } catch {
        return true;
      }
    });
    await client.close().catch(() => {});
    const db = new Database(join(dir, 'data', 'kee.db'));
    try {
      const session = db.prepare('SELECT session_id FROM sessions ORDER BY created_at DESC, rowid DESC LIMIT 1').get() as { session_id: string };
      const types = (db.prepare('SELECT ale_type FROM audit_records WHERE session_id = ? ORDER BY ale_seq').all([session.session_id]) as { ale_type: string }[]).map((r) => r.ale_type);
      expect(types).toEqual(['SESSION_OPEN', 'CEDAR_PERMIT', 'TOOL_RESULT', 'CEDAR_DENY']);
    } finally {
      db.close();
    }
  }, 60_000);
});
