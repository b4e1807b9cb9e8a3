import { describe, expect, it } from 'vitest';
import { ed25519Verifier } from '../../adapters/noble/ed25519.ts';
import { makeHarness } from '../../../test/support/harness.ts';
import { verifyPackage } from '../audit/verify-package.ts';
import type { AuditRecord } from '../types.ts';
import type { ToolResultReport } from './tool-result.ts';

const digest = `sha256:${'ab'.repeat(32)}`;
const report: ToolResultReport = { decision_seq: 2, tool: 'fs/read_text_file', arguments_digest: digest, outcome: 'ok', result_digest: digest };

describe('TOOL_RESULT records', () => {
  it('are appended to the open session, chained, and survive into the verified package', async () => {
    const h = makeHarness();
    const s = await h.kernel.openSession('agent-1');
    expect(await h.kernel.recordToolResult(s.session_id, report)).toEqual({ ale_seq: 2 });
    const recs = (await h.store.listRecords(s.session_id)).map((r) => JSON.parse(r.canonical) as AuditRecord);
    expect(recs[1]).toMatchObject({ ale_type: 'TOOL_RESULT', ...report });
    const block = await h.kernel.closeSession(s.session_id);
    const pkg = await h.kernel.getPackage(block.block_id);
    expect(pkg.records).toHaveLength(3);
    expect(await verifyPackage(pkg, { merkle: h.merkle, verifier: ed25519Verifier })).toMatchObject({ ok: true });
  });

  it('refuse malformed reports, closed sessions and another agent, recording nothing', async () => {
    const h = makeHarness();
    const s = await h.kernel.openSession('agent-1');
    for (const bad of [{ ...report, result_digest: 'md5:x' }, { ...report, outcome: 'maybe' }, { ...report, decision_seq: -1 }, { ...report, tool: '' }, { ...report, arguments_digest: 'ab' }]) {
      await expect(h.kernel.recordToolResult(s.session_id, bad as ToolResultReport)).rejects.toMatchObject({ code: 'INVALID_INPUT' });
    }
    await expect(h.kernel.recordToolResult(s.session_id, report, { agentId: 'agent-2', jkt: 'x' })).rejects.toMatchObject({ code: 'UNAUTHENTICATED' });
    expect(await h.store.listRecords(s.session_id)).toHaveLength(1);
    await h.kernel.closeSession(s.session_id);
    await expect(h.kernel.recordToolResult(s.session_id, report)).rejects.toMatchObject({ code: 'SESSION_CLOSED' });
  });

  it('need the session holder under KEE_AUTH=agents', async () => {
    const h = makeHarness({ deps: { options: { auth: 'agents' } } });
    await expect(h.kernel.recordToolResult('any', report)).rejects.toMatchObject({ code: 'UNAUTHENTICATED' });
  });
});
