/**
 * The web console (docs/console.md) in a real browser: Debian's chromium driven by
 * playwright-core against a kernel served on a real port (in-process, operator JWTs on). Writes
 * a screenshot of each page to test-results/console/ (git-ignored) so a person can look.
 */
import { execFile } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { serve, type ServerType } from '@hono/node-server';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApp } from '../src/app.ts';
import { CONSOLE_CSP } from '../src/console/routes.ts';
import { freePort } from './support/free-port.ts';
import { agentRead, classifyGold, makeHarness, type Harness } from './support/harness.ts';
import { body, capProfileDeps, makePublishers, POLICIES_V1, sign, type Publisher } from './support/cap-profile.ts';
import { agentKey, makeOperators } from './support/operators.ts';

const CHROMIUM = process.env.KEE_CHROMIUM ?? '/usr/bin/chromium';
const SHOTS = 'test-results/console';
const run = promisify(execFile);
/** Waits for what the page shows: generous, the browser shares a loaded machine with other suites. */
const poll = <T>(fn: () => T | Promise<T>) => expect.poll(fn, { timeout: 20_000, interval: 100 });

let h: Harness;
let server: ServerType;
let base: string;
let browser: Browser;
let context: BrowserContext;
let page: Page;
let tokens: Record<'operator' | 'auditor' | 'approver', string>;
let publishers: Publisher[];
const cspErrors: string[] = [];

async function api(method: string, path: string, body?: unknown, role?: keyof typeof tokens): Promise<any> {
  const headers: Record<string, string> = body === undefined ? {} : { 'content-type': 'application/json' };
  if (role) headers.authorization = `Bearer ${tokens[role]}`;
  const res = await fetch(`${base}${path}`, { method, headers, ...(body === undefined ? {} : { body: JSON.stringify(body) }) });
  const text = await res.text();
  if (!res.ok) throw new Error(`${method} ${path}: ${res.status} ${text}`);
  return /^application\/([a-z.-]+\+)?json/.test(res.headers.get('content-type') ?? '') ? JSON.parse(text) : text;
}

async function signIn(role: keyof typeof tokens): Promise<void> {
  await page.goto(`${base}/console#/signin`);
  await page.fill('#token', tokens[role]);
  await page.click('button[type=submit]');
  await page.waitForFunction(() => location.hash === '#/overview');
}

async function shot(name: string): Promise<void> {
  await page.screenshot({ path: join(SHOTS, `${name}.png`), fullPage: true });
}

/** A session with two decisions, closed into a signed block: its id. */
async function closedBlock(agent: string): Promise<string> {
  const s = await api('POST', '/v1/sessions', { agent_id: agent });
  await api('POST', `/v1/sessions/${s.session_id}/authorize`, agentRead(agent));
  await api('POST', `/v1/sessions/${s.session_id}/authorize`, { ...agentRead(agent), action: { type: 'Action', id: 'delete' } });
  return (await api('POST', `/v1/sessions/${s.session_id}/close`)).block_id;
}

beforeAll(async () => {
  mkdirSync(SHOTS, { recursive: true });
  const ops = await makeOperators();
  const token = async (role: string) => (await ops.bearer(role)).authorization!.slice('Bearer '.length);
  tokens = { operator: await token('operator'), auditor: await token('auditor'), approver: await token('approver') };
  publishers = await makePublishers(3);
  h = makeHarness({ deps: { operatorTokens: ops.verifier, capProfile: capProfileDeps(publishers) } });
  await h.started;
  const app = createApp(h.kernel, { console: { wasm: readFileSync(new URL('../wasm/kee_wasm_bg.wasm', import.meta.url)) } });
  const port = await freePort();
  server = serve({ fetch: app.fetch, port, hostname: '127.0.0.1' });
  base = `http://127.0.0.1:${port}`;
  browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox', '--disable-dev-shm-usage'] });
  context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
  page = await context.newPage();
  page.on('console', (m) => {
    if (/Content Security Policy/i.test(m.text())) cspErrors.push(m.text());
  });
}, 60_000);

afterAll(async () => {
  await browser?.close();
  await new Promise((resolve) => (server ? server.close(resolve) : resolve(undefined)));
  h?.kernel.stop();
});

describe('the web console in chromium', { timeout: 90_000 }, () => {
  it('is served at /console with a strict CSP, no CDN: every request goes to the kernel', async () => {
    const requests: string[] = [];
    page.on('request', (r) => requests.push(r.url()));
    const res = await page.goto(`${base}/console`);
    expect(res?.status()).toBe(200);
    expect(res?.headers()['content-security-policy']).toBe(CONSOLE_CSP);
    expect(CONSOLE_CSP).toContain("script-src 'self' 'wasm-unsafe-eval'");
    await page.waitForSelector('[data-testid=kernel-state]');
    expect(requests.length).toBeGreaterThan(3);
    expect(requests.filter((u) => !u.startsWith(base))).toEqual([]);
    page.removeAllListeners('request');
  });

  it('the overview reflects a state change (SUSPENDED_GAR) and shows conformance, profile and epoch', async () => {
    await signIn('operator');
    await poll(() => page.textContent('[data-testid=kernel-state]')).toBe('NORMAL');
    expect(await page.textContent('[data-testid=cap-profile-id]')).toBe(h.kernel.activeCapProfile().cap_profile_id);
    const manifest = JSON.parse(await h.kernel.manifest());
    expect(await page.textContent('[data-testid=manifest-epoch]')).toBe(String(manifest.epoch));
    expect(await page.textContent('[data-testid=conformance]')).toBe(manifest.conformance_level);
    h.kernel.state.enter('SUSPENDED_GAR', 'console test: store unreachable');
    try {
      await poll(() => page.textContent('[data-testid=kernel-state]')).toBe('SUSPENDED_GAR');
      expect(await page.textContent('[data-testid=conditions]')).toContain('console test: store unreachable');
      await shot('overview-suspended-gar');
    } finally {
      h.kernel.state.leave('SUSPENDED_GAR');
    }
    await poll(() => page.textContent('[data-testid=kernel-state]')).toBe('NORMAL');
    await shot('overview');
  });

  it('a decision made by an agent appears in the live view', async () => {
    await page.goto(`${base}/console#/live`);
    await poll(() => page.textContent('[data-testid=stream-state]')).toBe('connected');
    const s = await api('POST', '/v1/sessions', { agent_id: 'live-agent-7' });
    const permit = await api('POST', `/v1/sessions/${s.session_id}/authorize`, agentRead('live-agent-7'));
    const row = page.locator('[data-testid=decision-table] tbody tr', { hasText: 'live-agent-7' });
    await poll(() => row.count()).toBe(1);
    const cells = await row.locator('td').allTextContents();
    expect(cells.slice(1, 6)).toEqual(['live-agent-7', 'Action::"read"', 'Dataset::"quake-sensors"', permit.decision, permit.policy_ids.join(', ') || '(default deny)']);
    expect(cells[7]).toContain(`#${permit.ale_seq}`);
    // the filter hides what it does not match
    await page.selectOption('#f-decision', permit.decision === 'PERMIT' ? 'DENY' : 'PERMIT');
    await poll(() => row.count()).toBe(0);
    await page.selectOption('#f-decision', '');
    expect(await page.locator('.charts .uplot').count()).toBe(3);
    await shot('live');
  });

  it('escalations: the queue is live; an auditor cannot approve; an approver approves and the agent\'s retry is PERMIT', async () => {
    // (the built-in profile is active: its Tier 0-B forbid escalates classify_gold to HEM-HIGH-1)
    await signIn('approver');
    await page.goto(`${base}/console#/escalations`);
    await poll(() => page.textContent('[data-testid=hem-stream-state]')).toBe('connected');
    const s = await api('POST', '/v1/sessions', { agent_id: 'master-ai' });
    const deny = await api('POST', `/v1/sessions/${s.session_id}/authorize`, classifyGold());
    expect(deny).toMatchObject({ decision: 'DENY', escalation: { hem_class: 'HEM-HIGH-1', status: 'PENDING' } });
    const hemId: string = deny.escalation.hem_id;
    // it arrives through GET /v1/hem/events, with nothing reloaded
    await poll(() => page.textContent(`[data-hem-status="${hemId}"]`)).toBe('PENDING');
    const cells = await page.locator('[data-testid=escalations] tbody tr', { hasText: hemId }).locator('td').allTextContents();
    expect(cells[1]).toBe('PENDING');
    expect(cells.slice(3, 9)).toEqual(['HEM-HIGH-1', 'master-ai', 'Agent::"master-ai"', 'Action::"classify_gold"', 'Incident::"m7.2-2026"', 'tier0b-no-auto-gold']);

    // an auditor reads the queue but gets no button, and the kernel refuses the answer anyway
    await signIn('auditor');
    await page.goto(`${base}/console#/escalations`);
    await poll(() => page.textContent(`[data-hem-status="${hemId}"]`)).toBe('PENDING');
    expect(await page.locator('[data-testid=escalations] button').count()).toBe(0);
    expect(await page.locator('[data-comment]').count()).toBe(0);
    const refused = await page.evaluate(async ([token, id]) => {
      const r = await fetch(`/v1/hem/escalations/${id}/approve`, { method: 'POST', headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' }, body: '{}' });
      return [r.status, ((await r.json()) as { code: string }).code];
    }, [tokens.auditor, hemId] as const);
    expect(refused).toEqual([403, 'FORBIDDEN']);
    expect((await api('GET', `/v1/hem/escalations/${hemId}`, undefined, 'operator')).status).toBe('PENDING');
    await shot('escalations-auditor');

    // the approver answers in the console, with a comment
    await signIn('approver');
    await page.goto(`${base}/console#/escalations`);
    await page.fill(`[data-comment="${hemId}"]`, 'M7.2 confirmed with the meteorological agency');
    await shot('escalations-approver');
    await page.click(`button[aria-label="Approve ${hemId}"]`);
    await poll(() => page.textContent('[data-testid=hem-note]')).toBe(`${hemId} approved`);
    expect(await api('GET', `/v1/hem/escalations/${hemId}`, undefined, 'operator')).toMatchObject({ status: 'APPROVED', resolution: { approver: 'op-approver', comment: 'M7.2 confirmed with the meteorological agency' } });
    await page.selectOption('#hem-status', 'APPROVED');
    await poll(() => page.textContent(`[data-hem-status="${hemId}"]`)).toBe('APPROVED');
    expect(await page.locator('[data-testid=escalations] tbody tr', { hasText: hemId }).textContent()).toContain('M7.2 confirmed with the meteorological agency');

    const retry = await api('POST', `/v1/sessions/${s.session_id}/authorize`, { ...classifyGold(), hem_id: hemId });
    expect(retry).toMatchObject({ decision: 'PERMIT', policy_ids: ['tier1-gold-with-human-approval'], escalation: { hem_id: hemId, status: 'APPROVED' } });

    // one left PENDING (another session) for the accessibility scan of the approver's view
    const other = await api('POST', '/v1/sessions', { agent_id: 'master-ai' });
    const pending = (await api('POST', `/v1/sessions/${other.session_id}/authorize`, classifyGold())).escalation.hem_id;
    await page.selectOption('#hem-status', 'PENDING');
    await poll(() => page.locator(`button[aria-label="Approve ${pending}"]`).count()).toBe(1);
  });

  it('a good package verifies in the browser; a tampered one names the same broken place as the CLI', async () => {
    const blockId = await closedBlock('verify-agent');
    const pkg = await api('GET', `/v1/audit/blocks/${blockId}/package`);
    const dir = mkdtempSync(join(tmpdir(), 'kee-console-'));
    const tampered = structuredClone(pkg);
    tampered.records[1].record.timestamp = '2020-01-01T00:00:00.000Z';
    writeFileSync(join(dir, 'tampered.json'), JSON.stringify(tampered));
    const cli = run(process.execPath, ['bin/kee.mjs', 'audit', 'verify', join(dir, 'tampered.json')]).then(
      () => 'exit 0',
      (e: { code: number; stderr: string }) => `${e.code} ${e.stderr.trim()}`,
    );

    await page.goto(`${base}/console#/verify`);
    await page.fill('#pkg-text', JSON.stringify(pkg));
    await page.click('[data-testid=verify-package]');
    const okLine = `OK block ${blockId}: ${pkg.records.length} records, chain, inclusion proofs, Merkle root and Ed25519 signature verified`;
    await poll(() => page.textContent('[data-testid=verdict]')).toBe(okLine);

    // the NDJSON stream form, chosen as a file, streams through the same verifier
    const ndjson = await api('GET', `/v1/audit/blocks/${blockId}/package?format=ndjson`);
    await page.fill('#pkg-text', '');
    await page.setInputFiles('#pkg-file', { name: 'block.ndjson', mimeType: 'application/x-ndjson', buffer: Buffer.from(ndjson) });
    // the JSON verdict is cleared first, so the line awaited below is the stream's own
    await page.locator('[data-testid=verdict]').evaluate((el) => (el.textContent = ''));
    await page.click('[data-testid=verify-package]');
    await poll(() => page.textContent('[data-testid=verdict]')).toBe(okLine);
    await page.setInputFiles('#pkg-file', []);

    await page.fill('#pkg-text', JSON.stringify(tampered));
    await page.click('[data-testid=verify-package]');
    await poll(() => page.textContent('[data-testid=verdict]')).toMatch(/^FAIL /);
    const browserLine = await page.textContent('[data-testid=verdict]');
    expect(await cli).toBe(`1 ${browserLine}`);
    expect(browserLine).toBe('FAIL proof: record 1 (ale_seq 2): inclusion proof does not verify against merkle_root');
    await shot('verify-tampered');
  });

  it('a checkpoint pair verifies in the browser (signature and consistency)', async () => {
    const older = await api('GET', '/v1/audit/checkpoint');
    await closedBlock('checkpoint-agent');
    const newer = await api('GET', '/v1/audit/checkpoint');
    await page.goto(`${base}/console#/verify`);
    await page.fill('#cp-old', older);
    await page.fill('#cp-new', newer);
    await page.fill('#cp-key', h.kernel.publicKey().public_key);
    await page.click('[data-testid=verify-checkpoint]');
    await poll(() => page.textContent('[data-testid=checkpoint-verdict]')).toMatch(/^OK checkpoint .*; extends the checkpoint of size \d+ \(consistency proof verified\)$/);
    // a key that did not sign it
    await page.fill('#cp-key', 'ab'.repeat(32));
    await page.click('[data-testid=verify-checkpoint]');
    await poll(() => page.textContent('[data-testid=checkpoint-verdict]')).toMatch(/^FAIL checkpoint: /);
  });

  it('sessions and blocks: open sessions are listed; the block log lists closed blocks; a block shows its records and verifies', async () => {
    const blockId = await closedBlock('blocks-agent');
    const open = await api('POST', '/v1/sessions', { agent_id: 'open-agent' });
    await signIn('operator');
    await page.goto(`${base}/console#/blocks`);
    await poll(() => page.locator('[data-testid=open-sessions] tbody tr', { hasText: open.session_id }).locator('td').allTextContents()).toEqual([open.session_id, 'open-agent', expect.any(String), open.block_id]);
    expect(await page.locator('[data-testid=open-sessions] tbody tr', { hasText: 'blocks-agent' }).count()).toBe(0);
    const listed = await api('GET', '/v1/sessions?status=OPEN', undefined, 'auditor');
    expect(listed.truncated).toBe(false);
    expect(listed.sessions.map((x: { session_id: string }) => x.session_id)).toContain(open.session_id);
    expect(await page.evaluate(async (token) => (await fetch('/v1/sessions', { headers: { authorization: `Bearer ${token}` } })).status, tokens.approver)).toBe(403);
    await page.click(`button[data-block="${blockId}"]`);
    await poll(() => page.textContent('[data-testid=block-verdict]')).toMatch(new RegExp(`^OK block ${blockId}: 4 records`));
    expect(await page.locator('[data-testid=records] tbody tr').count()).toBe(4);
    await shot('blocks');
  });

  it('policies by tier; a diff of two signed versions, and of the active set against a pasted text', async () => {
    const write = '@id("t2-write")\n@tier("2")\npermit (principal is Agent, action == Action::"write", resource);';
    const v2 = { version: 2, catalog_version: { version_id: 'cat-2', supersedes: 'cat-1', published_by: 'x', published_at: '2026-02-01T00:00:00Z' } };
    await api('PUT', '/v1/cap-profile', await sign(body(), publishers.slice(0, 2)));
    await api('PUT', '/v1/cap-profile', await sign(body(v2, `${POLICIES_V1}\n${write}\n`), publishers.slice(1)));
    await page.goto(`${base}/console#/policies`);
    await page.waitForSelector('[data-tier]');
    const active = h.kernel.activePolicyText();
    expect(active.policy_ids).toContain('t2-write');
    for (const id of active.policy_ids) expect(await page.locator('article.policy h3', { hasText: id }).count()).toBe(1);
    expect(await page.locator('[data-tier="1"] article.policy h3').allTextContents()).toEqual(['t1-no-delete']);

    // version 1 (the previous update, preselected) to the active set: the added policy, line by line
    expect(await page.inputValue('#diff-from')).toBe('1');
    expect(await page.inputValue('#diff-to')).toBe('active');
    await page.click('[data-testid=show-diff]');
    const added = async () => (await page.locator('[data-testid=policy-diff] ins').allTextContents()).filter((l) => l !== '+ \n');
    await poll(added).toEqual(write.split('\n').map((l) => `+ ${l}\n`));
    expect(await page.locator('[data-testid=policy-diff] del').count()).toBe(0);

    const firstLine = active.policies.split('\n').find((l) => l.trim() !== '') as string;
    await page.selectOption('#diff-from', 'other');
    await page.fill('#diff-text', active.policies.replace(firstLine, `${firstLine} // changed`));
    await page.click('[data-testid=show-diff]');
    await poll(() => page.locator('[data-testid=policy-diff] del').allTextContents()).toEqual([`- ${firstLine} // changed\n`]);
    expect(await page.locator('[data-testid=policy-diff] ins').allTextContents()).toEqual([`+ ${firstLine}\n`]);
    await shot('policies');
  });

  it('agents: an auditor sees no suspend and the kernel refuses one; an operator suspends', async () => {
    await api('POST', '/v1/agents', { agent_id: 'console-agent', display_name: 'Console agent', roles: ['read'], public_keys: [await agentKey()] }, 'operator');
    await signIn('auditor');
    await page.goto(`${base}/console#/agents`);
    await page.waitForSelector('[data-status=console-agent]');
    expect(await page.locator('button[data-action]').count()).toBe(0);
    const status = await page.evaluate(async (token) => (await fetch('/v1/agents/console-agent', { method: 'PATCH', headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' }, body: JSON.stringify({ status: 'SUSPENDED' }) })).status, tokens.auditor);
    expect(status).toBe(403);
    expect((await api('GET', '/v1/agents/console-agent', undefined, 'operator')).status).toBe('ACTIVE');
    await shot('agents-auditor');

    // an approver (no registry role) does not even get the page
    await signIn('approver');
    await page.goto(`${base}/console#/agents`);
    await poll(() => page.textContent('main [role=alert]')).toContain('needs the role operator or auditor');
    expect(await page.locator('nav a[data-page=agents]').isVisible()).toBe(false);

    await signIn('operator');
    await page.goto(`${base}/console#/agents`);
    await page.click('button[aria-label="Suspend console-agent"]');
    await poll(() => page.textContent('[data-status=console-agent]')).toBe('SUSPENDED');
    expect((await api('GET', '/v1/agents/console-agent', undefined, 'operator')).status).toBe('SUSPENDED');
    await shot('agents-operator');
  });

  it('revocations: an operator adds one in the console; events show UNKNOWN, PENDING and CLEAN; an auditor cannot add', async () => {
    await signIn('operator');
    // a paused stream: the receivers cannot be enumerated, the event is UNKNOWN
    const stream = (await api('POST', '/ssf/streams', { delivery: { method: 'urn:ietf:rfc:8936' }, description: 'console test' }, 'operator')).stream_id;
    try {
      await api('POST', '/ssf/status', { stream_id: stream, status: 'paused' }, 'operator');
      await page.goto(`${base}/console#/revocations`);
      await page.selectOption('#rv-kind', 'KIA_KEY');
      await page.fill('#rv-id', 'kia-key-console-1');
      await page.fill('#rv-reason', 'key compromised');
      await page.click('[data-testid=revoke-submit]');
      await poll(() => page.textContent('[data-testid=revocation-note]')).toMatch(/^KIA_KEY kia-key-console-1 revoked \(entry \d+\)$/);
      await poll(() => page.textContent('[data-event-state="kia-key-console-1"]')).toBe('UNKNOWN');
      const row = await page.locator('[data-testid=registry] tbody tr', { hasText: 'kia-key-console-1' }).locator('td').allTextContents();
      expect(row.slice(1, 5)).toEqual(['KIA_KEY', 'kia-key-console-1', 'LOCAL', 'DIRECT']);
      expect(row.slice(7)).toEqual(['key compromised', 'op-operator']);
      const feed = await api('GET', '/v1/revocations');
      expect(feed.revocations.find((e: { id: string }) => e.id === 'kia-key-console-1')).toMatchObject({ kind: 'KIA_KEY', reason: 'key compromised', revoking_principal: 'op-operator', source: 'LOCAL' });

      // enabled: PENDING until the poll receiver acknowledges, then CLEAN
      await api('POST', '/ssf/status', { stream_id: stream, status: 'enabled' }, 'operator');
      await page.fill('#rv-id', 'kia-key-console-2');
      await page.click('[data-testid=revoke-submit]');
      await poll(() => page.textContent('[data-event-state="kia-key-console-2"]')).toBe('PENDING');
      const sets = Object.keys((await api('POST', `/ssf/poll/${stream}`, { returnImmediately: true }, 'operator')).sets);
      expect(sets).toHaveLength(1);
      await api('POST', `/ssf/poll/${stream}`, { ack: sets, returnImmediately: true }, 'operator');
      await poll(() => page.textContent('[data-event-state="kia-key-console-2"]')).toBe('CLEAN');
      expect(await page.locator('[data-testid=revocation-events] tbody tr', { hasText: 'kia-key-console-2' }).textContent()).toMatch(/op-operator \(poll\): acknowledged after \d+ ms, 1 attempt/);
      await shot('revocations-operator');
    } finally {
      await api('DELETE', `/ssf/streams?stream_id=${stream}`, undefined, 'operator');
    }

    await signIn('auditor');
    await page.goto(`${base}/console#/revocations`);
    await poll(() => page.textContent('[data-event-state="kia-key-console-2"]')).toBe('CLEAN');
    expect(await page.locator('#rv-id').count()).toBe(0);
    const status = await page.evaluate(async (token) => (await fetch('/v1/revocations', { method: 'POST', headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' }, body: JSON.stringify({ kind: 'KIA_KEY', id: 'by-auditor' }) })).status, tokens.auditor);
    expect(status).toBe(403);
    expect((await api('GET', '/v1/revocations')).revocations.map((e: { id: string }) => e.id)).not.toContain('by-auditor');
    await shot('revocations-auditor');
    // an approver does not get the page
    await signIn('approver');
    await page.goto(`${base}/console#/revocations`);
    await poll(() => page.textContent('main [role=alert]')).toContain('needs the role operator or auditor');
  });

  it('axe-core finds no serious or critical violation on any page; no CSP violation happened', async () => {
    const axe = readFileSync(new URL('../node_modules/axe-core/axe.min.js', import.meta.url), 'utf8');
    // axe is injected by the test only (the console's own CSP would refuse it, rightly)
    const ctx = await browser.newContext({ bypassCSP: true, viewport: { width: 1280, height: 900 } });
    const p = await ctx.newPage();
    await p.goto(`${base}/console`);
    await p.evaluate((t) => sessionStorage.setItem('kee.console.token', t), tokens.operator);
    const found: string[] = [];
    for (const [route, ready] of [['overview', '[data-testid=kernel-state]'], ['live', '.uplot'], ['blocks', '[data-testid=block-log]'], ['verify', '#pkg-text'], ['policies', '[data-tier]'], ['agents', '[data-testid=agents]'], ['revocations', '[data-testid=revocation-events]'], ['escalations', '[data-comment]'], ['signin', '#token']] as const) {
      // the escalations page as an approver sees it: comment fields and buttons
      await p.evaluate((t) => sessionStorage.setItem('kee.console.token', t), tokens[route === 'escalations' ? 'approver' : 'operator']);
      await p.goto(`${base}/console#/${route}`);
      await p.reload();
      await p.waitForSelector(ready);
      if (!(await p.evaluate(() => 'axe' in window))) await p.evaluate(axe);
      const violations = await p.evaluate(async () => {
        const r = await (window as unknown as { axe: { run: (ctx: Document) => Promise<{ violations: { id: string; impact: string; nodes: { target: string[] }[] }[] }> } }).axe.run(document);
        return r.violations.map((v) => ({ id: v.id, impact: v.impact, targets: v.nodes.map((n) => n.target.join(' ')).slice(0, 3) }));
      });
      for (const v of violations) if (v.impact === 'serious' || v.impact === 'critical') found.push(`${route}: ${v.id} (${v.impact}) at ${v.targets.join(', ')}`);
      await p.screenshot({ path: join(SHOTS, `axe-${route}.png`), fullPage: true });
    }
    await ctx.close();
    expect(found).toEqual([]);
    expect(cspErrors).toEqual([]);
  });
});

describe('chromium is installed', () => {
  it(`at ${CHROMIUM} (.ci/run installs Debian's chromium)`, () => {
    expect(existsSync(CHROMIUM)).toBe(true);
  });
});
