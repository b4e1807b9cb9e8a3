/**
 * `kee audit verify-journal` as an auditor runs it: the journal blocks' packages fetched over
 * HTTP (`GET /v1/audit/journal`, then each package), verified offline; a block left out of the
 * middle and a cut tail fail with exit 1, naming what is missing.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { makeHarness } from './support/harness.ts';

const run = promisify(execFile);
const dir = mkdtempSync(join(tmpdir(), 'kee-cli-journal-'));

async function kee(...args: string[]): Promise<{ code: number; out: string }> {
  try {
    const r = await run('node', ['bin/kee.mjs', ...args], { maxBuffer: 1 << 24 });
    return { code: 0, out: r.stdout + r.stderr };
  } catch (e) {
    const err = e as { code: number; stdout: string; stderr: string };
    return { code: err.code, out: err.stdout + err.stderr };
  }
}

describe('kee audit verify-journal', () => {
  it('verifies the journal blocks listed by GET /v1/audit/journal; a missing block or a cut tail fails', async () => {
    const h = makeHarness({ deps: { options: { journal: { blockRecords: 2 } } } });
    await h.started;
    // block 1 holds the KERNEL_BOOT record, blocks 2 and 3 one event each
    for (let i = 1; i <= 2; i++) await h.kernel.recordSignerEvent({ event_type: 'TEST_EVENT', n: i });
    await h.kernel.journalFlush();
    await h.kernel.shutdown();
    const journal = (await h.call('GET', '/v1/audit/journal')).json;
    expect(journal.open).toBeNull();
    expect(journal.blocks.map((b: { journal_seq: number }) => b.journal_seq)).toEqual([1, 2, 3]);
    expect(journal.last_journal_seq).toBe(3);
    const files: string[] = [];
    for (const b of journal.blocks) {
      const f = join(dir, `journal-${b.journal_seq}.json`);
      writeFileSync(f, (await h.call('GET', `/v1/audit/blocks/${b.block_id}/package`)).text);
      files.push(f);
    }
    const key = h.kernel.publicKey().public_key;
    const head = ['--head', journal.next_block_id, '--last-seq', String(journal.last_journal_seq), '--public-key', key];
    const ok = await kee('audit', 'verify-journal', ...files, ...head);
    expect(ok.out).toMatch(/^OK journal blocks 1 to 3: /m);
    expect(ok.code).toBe(0);

    const gap = await kee('audit', 'verify-journal', files[0]!, files[2]!, ...head);
    expect(gap.out).toMatch(/^FAIL journal_gap: .*journal blocks 2 to 2 are missing/m);
    expect(gap.code).toBe(1);

    const cut = await kee('audit', 'verify-journal', files[0]!, files[1]!, ...head);
    expect(cut.out).toMatch(/^FAIL journal_truncated: /m);
    expect(cut.code).toBe(1);

    expect((await kee('audit', 'verify-journal', files[0]!, '--head', 'xyz')).code).toBe(2);
  }, 60_000);
});
