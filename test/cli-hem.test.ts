/**
 * `kee hem list | show | approve | reject` against a kernel served over HTTP (in this process):
 * the approver's answer through the CLI is what the kernel records; refusals exit 1 with the
 * problem's code, usage errors exit 2.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { getRequestListener } from '@hono/node-server';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { run } from '../src/entry/cli-hem.ts';
import { classifyGold, makeHarness } from './support/harness.ts';
import { makeOperators } from './support/operators.ts';

let server: Server | null = null;
afterEach(() => {
  server?.close();
  server = null;
  vi.restoreAllMocks();
});

async function served() {
  const operators = await makeOperators();
  const h = makeHarness({ deps: { operatorTokens: operators.verifier } });
  server = createServer(getRequestListener(h.app.fetch));
  await new Promise<void>((resolve) => server!.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const s = (await h.call('POST', '/v1/sessions', { agent_id: 'master-ai' })).json;
  const hemId = (await h.call('POST', `/v1/sessions/${s.session_id}/authorize`, classifyGold())).json.escalation.hem_id as string;
  const token = (await operators.bearer('approver')).authorization!.slice('Bearer '.length);
  const auditor = (await operators.bearer('auditor')).authorization!.slice('Bearer '.length);
  return { h, url, hemId, token, auditor };
}

/** Runs the CLI, capturing what it prints. */
async function cli(...argv: string[]): Promise<{ code: number; out: string; err: string }> {
  const out: string[] = [];
  const err: string[] = [];
  vi.spyOn(console, 'log').mockImplementation((...a: unknown[]) => void out.push(a.join(' ')));
  vi.spyOn(console, 'error').mockImplementation((...a: unknown[]) => void err.push(a.join(' ')));
  const code = await run(argv);
  vi.restoreAllMocks();
  return { code, out: out.join('\n'), err: err.join('\n') };
}

describe('kee hem', () => {
  it('lists, shows and approves with an approver token; the kernel records the approver', async () => {
    const { h, url, hemId, token } = await served();
    const listed = await cli('list', '--status', 'PENDING', '--token', token, '--url', url);
    expect(listed.code).toBe(0);
    expect(JSON.parse(listed.out).escalations.map((e: { hem_id: string }) => e.hem_id)).toEqual([hemId]);
    expect(JSON.parse((await cli('show', hemId, '--token', token, '--url', url)).out).status).toBe('PENDING');
    const approved = await cli('approve', hemId, '--comment', 'confirmed', '--token', token, '--url', url);
    expect(approved.code).toBe(0);
    expect(JSON.parse(approved.out)).toMatchObject({ hem_id: hemId, status: 'APPROVED', resolution: { approver: 'op-approver', comment: 'confirmed' } });
    expect((await h.kernel.getEscalation(hemId)).status).toBe('APPROVED');
    // answered once: the second answer is the kernel's 409, exit 1
    const again = await cli('reject', hemId, '--token', token, '--url', url);
    expect(again).toMatchObject({ code: 1, err: expect.stringMatching(/^kee: CONFLICT: escalation `hem-.*` is resolved already \(APPROVED\)$/) });
  });

  it('refusals exit 1 with the code; usage errors exit 2 with one line', async () => {
    const { url, hemId, auditor } = await served();
    expect(await cli('approve', hemId, '--token', auditor, '--url', url)).toMatchObject({ code: 1, err: expect.stringMatching(/^kee: FORBIDDEN: this operation needs the role `approver`/) });
    expect((await cli('approve', '--token', auditor)).code).toBe(2);
    vi.stubEnv('KEE_OPERATOR_TOKEN', '');
    expect(await cli('approve', hemId, '--url', url)).toMatchObject({ code: 2, err: expect.stringContaining('an operator token is needed') });
    vi.unstubAllEnvs();
    expect(await cli('list', '--comment', 'x', '--token', auditor)).toMatchObject({ code: 2, err: 'kee: --comment is for `kee hem approve` and `kee hem reject` only' });
    expect(await cli('accept', hemId)).toMatchObject({ code: 2, err: 'kee: unknown command `hem accept`: `kee hem --help` lists the commands' });
  });
});
