import { describe, expect, it } from 'vitest';
import { ed25519Verifier } from '../../adapters/noble/ed25519.ts';
import { makeHarness } from '../../../test/support/harness.ts';
import { MemoryStore } from '../../adapters/memory/store.ts';
import { verifyPackage } from '../audit/verify-package.ts';
import { canonicalJson } from '../jcs.ts';
import type { AuditRecord } from '../types.ts';
import { MAX_RECORDED_BODY, type ToolResultReport } from './tool-result.ts';

const digest = `sha256:${'ab'.repeat(32)}`;
const POLICIES = '@id("read")\npermit (principal, action == Action::"tools/call", resource == Tool::"fs/read_text_file");';
const call = (tool = 'fs/read_text_file') => ({ principal: { type: 'Agent', id: 'agent-1' }, action: { type: 'Action', id: 'tools/call' }, resource: { type: 'Tool', id: tool }, context: {} });
const report = (decision_seq: number, more: Partial<ToolResultReport> = {}): ToolResultReport => ({ decision_seq, tool: 'fs/read_text_file', arguments_digest: digest, outcome: 'ok', result_digest: digest, ...more });
const harness = (store?: MemoryStore) => makeHarness({ profile: { capProfileId: 'tools', policies: POLICIES }, ...(store ? { store } : {}) });

describe('TOOL_RESULT records', () => {
  it('follow a PERMIT of the session, chained, and survive into the verified package', async () => {
    const h = harness();
    const s = await h.kernel.openSession('agent-1');
    const permit = await h.kernel.authorize(s.session_id, call());
    expect(permit).toMatchObject({ decision: 'PERMIT', ale_seq: 2 });
    expect(await h.kernel.recordToolResult(s.session_id, report(2))).toEqual({ ale_seq: 3 });
    const recs = (await h.store.listRecords(s.session_id)).map((r) => JSON.parse(r.canonical) as AuditRecord);
    expect(recs[2]).toMatchObject({ ale_type: 'TOOL_RESULT', ...report(2) });
    expect(recs[2]).not.toHaveProperty('arguments');
    const block = await h.kernel.closeSession(s.session_id);
    const pkg = await h.kernel.getPackage(block.block_id);
    expect(pkg.records).toHaveLength(4);
    expect(await verifyPackage(pkg, { merkle: h.merkle, verifier: ed25519Verifier })).toMatchObject({ ok: true });
  });

  it('are refused (CONFLICT, nothing recorded) unless they follow a PERMIT of that session for that tool, once', async () => {
    const h = harness();
    const s = await h.kernel.openSession('agent-1');
    const other = await h.kernel.openSession('agent-1');
    expect((await h.kernel.authorize(s.session_id, call())).decision).toBe('PERMIT'); // 2
    expect((await h.kernel.authorize(s.session_id, call('fs/write_file'))).decision).toBe('DENY'); // 3
    for (const [sid, r] of [
      [s.session_id, report(1)], // SESSION_OPEN
      [s.session_id, report(3)], // a DENY
      [s.session_id, report(9)], // no such record
      [s.session_id, report(2, { tool: 'fs/write_file' })], // a PERMIT for another tool
      [other.session_id, report(2)], // another session's PERMIT
    ] as const) {
      await expect(h.kernel.recordToolResult(sid, r)).rejects.toMatchObject({ code: 'CONFLICT' });
    }
    expect(await h.store.listRecords(s.session_id)).toHaveLength(3);
    expect(await h.store.listRecords(other.session_id)).toHaveLength(1);
    // the mismatched tool used up nothing it should not have: a fresh PERMIT is answered once
    const again = await h.kernel.authorize(s.session_id, call());
    expect(await h.kernel.recordToolResult(s.session_id, report(again.ale_seq))).toEqual({ ale_seq: 5 });
    await expect(h.kernel.recordToolResult(s.session_id, report(again.ale_seq))).rejects.toMatchObject({ code: 'CONFLICT', message: expect.stringContaining('already has its TOOL_RESULT') });
  });

  it('are bound by the stored records when the kernel does not remember the PERMIT (a restart)', async () => {
    const store = new MemoryStore();
    const a = harness(store);
    const s = await a.kernel.openSession('agent-1');
    const p1 = await a.kernel.authorize(s.session_id, call());
    const p2 = await a.kernel.authorize(s.session_id, call());
    expect(await a.kernel.recordToolResult(s.session_id, report(p1.ale_seq))).toEqual({ ale_seq: 4 });
    await a.kernel.shutdown();
    const b = harness(store);
    await expect(b.kernel.recordToolResult(s.session_id, report(p1.ale_seq))).rejects.toMatchObject({ code: 'CONFLICT', message: expect.stringContaining('already has its TOOL_RESULT') });
    await expect(b.kernel.recordToolResult(s.session_id, report(p2.ale_seq, { tool: 'fs/other' }))).rejects.toMatchObject({ code: 'CONFLICT' });
    expect(await b.kernel.recordToolResult(s.session_id, report(p2.ale_seq))).toEqual({ ale_seq: 5 });
  });

  it('hold bodies only as given, matching their digests and bounded', async () => {
    const h = harness();
    const s = await h.kernel.openSession('agent-1');
    const args = { path: '/tmp/a.txt' };
    const result = { content: [{ type: 'text', text: 'hello' }] };
    const d = (v: unknown) => `sha256:${h.merkle.sha256Hex(canonicalJson(v))}`;
    const p = await h.kernel.authorize(s.session_id, call());
    const big = { text: 'x'.repeat(MAX_RECORDED_BODY) };
    for (const bad of [
      { arguments: { path: '/tmp/b.txt' } }, // not the body of arguments_digest
      { result: big, result_digest: d(big) }, // over the bound
      { result, result_digest: null, outcome: 'failed' }, // a body without a digest
      { arguments: args, bodies_omitted: ['arguments'] }, // omitted yet given
    ] as Partial<ToolResultReport>[]) {
      await expect(h.kernel.recordToolResult(s.session_id, report(p.ale_seq, { arguments_digest: d(args), result_digest: d(result), ...bad }))).rejects.toMatchObject({ code: 'INVALID_INPUT' });
    }
    const ok = report(p.ale_seq, { arguments_digest: d(args), result_digest: d(result), arguments: args, result });
    expect(await h.kernel.recordToolResult(s.session_id, ok)).toEqual({ ale_seq: 3 });
    const recs = (await h.store.listRecords(s.session_id)).map((r) => JSON.parse(r.canonical) as AuditRecord);
    expect(recs[2]).toMatchObject({ ale_type: 'TOOL_RESULT', arguments: args, result });
  });

  it('refuse malformed reports, closed sessions and another agent, recording nothing', async () => {
    const h = harness();
    const s = await h.kernel.openSession('agent-1');
    const p = await h.kernel.authorize(s.session_id, call());
    const r = report(p.ale_seq);
    for (const bad of [{ ...r, result_digest: 'md5:x' }, { ...r, outcome: 'maybe' }, { ...r, decision_seq: -1 }, { ...r, tool: '' }, { ...r, arguments_digest: 'ab' }]) {
      await expect(h.kernel.recordToolResult(s.session_id, bad as ToolResultReport)).rejects.toMatchObject({ code: 'INVALID_INPUT' });
    }
    await expect(h.kernel.recordToolResult(s.session_id, r, { agentId: 'agent-2', jkt: 'x' })).rejects.toMatchObject({ code: 'UNAUTHENTICATED' });
    expect(await h.store.listRecords(s.session_id)).toHaveLength(2);
    await h.kernel.closeSession(s.session_id);
    await expect(h.kernel.recordToolResult(s.session_id, r)).rejects.toMatchObject({ code: 'SESSION_CLOSED' });
  });

  it('need the session holder under KEE_AUTH=agents', async () => {
    const h = makeHarness({ deps: { options: { auth: 'agents' } } });
    await expect(h.kernel.recordToolResult('any', report(2))).rejects.toMatchObject({ code: 'UNAUTHENTICATED' });
  });
});
