/**
 * The console's Verify page on workerd (`wrangler dev`, the default Worker build): the Worker
 * holds a compiled WASM module, not its bytes, so the platform serves `kee_wasm_bg.wasm` from the
 * Worker's static assets (wrangler.toml `[assets]`, docs/edge.md) at the URL the console fetches
 * on every runtime. One workerd start; Debian's chromium driven by playwright-core.
 */
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { chromium, type Browser, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CONSOLE_CSP } from '../src/console/routes.ts';
import { agentRead } from './support/harness.ts';
import { startServer, type RunningServer } from './runtime/servers.ts';

const CHROMIUM = process.env.KEE_CHROMIUM ?? '/usr/bin/chromium';
const run = promisify(execFile);
const poll = <T>(fn: () => T | Promise<T>) => expect.poll(fn, { timeout: 30_000, interval: 100 });
const sha256 = (b: Uint8Array) => createHash('sha256').update(b).digest('hex');

let server: RunningServer;
let browser: Browser;
let page: Page;
const cspErrors: string[] = [];

async function api(method: string, path: string, body?: unknown): Promise<any> {
  const res = await fetch(`${server.base}${path}`, { method, ...(body === undefined ? {} : { headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) }) });
  const text = await res.text();
  if (!res.ok) throw new Error(`${method} ${path}: ${res.status} ${text}`);
  return JSON.parse(text);
}

beforeAll(async () => {
  // KEE_AUTH set explicitly (startServer gives `none` on loopback): the test opens sessions without credentials
  [server, browser] = await Promise.all([
    startServer('workerd', { env: { KEE_AUTH: 'none' }, vars: { KEE_AUTH: 'none', KEE_SIGNING_KEY: '42'.repeat(32) } }),
    chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox', '--disable-dev-shm-usage'] }),
  ]);
  page = await (await browser.newContext({ viewport: { width: 1280, height: 900 } })).newPage();
  page.on('console', (m) => {
    if (/Content Security Policy/i.test(m.text())) cspErrors.push(m.text());
  });
}, 120_000);

afterAll(async () => {
  await browser?.close();
  await server?.stop();
});

describe('the console on workerd', { timeout: 120_000 }, () => {
  it('serves the WASM module from static assets; a good package verifies in the browser, a tampered one names the CLI\'s broken place', async () => {
    // the bytes the browser gets are the Node kernel's module, byte for byte
    const wasm = await fetch(`${server.base}/console/assets/kee_wasm_bg.wasm`);
    expect(wasm.status).toBe(200);
    expect(wasm.headers.get('content-type')).toBe('application/wasm');
    expect(sha256(new Uint8Array(await wasm.arrayBuffer()))).toBe(sha256(readFileSync(new URL('../wasm/kee_wasm_bg.wasm', import.meta.url))));

    const s = await api('POST', '/v1/sessions', { agent_id: 'verify-agent' });
    await api('POST', `/v1/sessions/${s.session_id}/authorize`, agentRead('verify-agent'));
    await api('POST', `/v1/sessions/${s.session_id}/authorize`, { ...agentRead('verify-agent'), action: { type: 'Action', id: 'delete' } });
    const { block_id: blockId } = await api('POST', `/v1/sessions/${s.session_id}/close`);
    const pkg = await api('GET', `/v1/audit/blocks/${blockId}/package`);
    const tampered = structuredClone(pkg);
    tampered.records[1].record.timestamp = '2020-01-01T00:00:00.000Z';
    const dir = mkdtempSync(join(tmpdir(), 'kee-console-workerd-'));
    writeFileSync(join(dir, 'tampered.json'), JSON.stringify(tampered));
    const cli = run(process.execPath, ['bin/kee.mjs', 'audit', 'verify', join(dir, 'tampered.json')]).then(
      () => 'exit 0',
      (e: { code: number; stderr: string }) => `${e.code} ${e.stderr.trim()}`,
    );

    const res = await page.goto(`${server.base}/console#/verify`);
    expect(res?.headers()['content-security-policy']).toBe(CONSOLE_CSP);
    expect(await page.getAttribute('body', 'data-wasm')).toBe('served');
    await page.fill('#pkg-text', JSON.stringify(pkg));
    await page.click('[data-testid=verify-package]');
    await poll(() => page.textContent('[data-testid=verdict]')).toBe(`OK block ${blockId}: ${pkg.records.length} records, chain, inclusion proofs, Merkle root and Ed25519 signature verified`);

    await page.fill('#pkg-text', JSON.stringify(tampered));
    await page.click('[data-testid=verify-package]');
    await poll(() => page.textContent('[data-testid=verdict]')).toMatch(/^FAIL /);
    const browserLine = await page.textContent('[data-testid=verdict]');
    expect(browserLine).toBe('FAIL proof: record 1 (ale_seq 2): inclusion proof does not verify against merkle_root');
    expect(await cli).toBe(`1 ${browserLine}`);
    expect(cspErrors).toEqual([]);
  });
});
