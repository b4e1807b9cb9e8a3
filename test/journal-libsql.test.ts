/**
 * The kernel journal's blocks and session expiry on the embedded libSQL store (what `npm start`
 * uses): blocks sealed by size, a restart past the time bound seals the open block as
 * `recovered` and the chain verifies offline across the restart; an idle session left open is
 * expired by the next start.
 */
import { createLibsqlClient } from '../src/adapters/libsql/client.ts';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { openLibsqlStore } from '../src/adapters/libsql/open-libsql.ts';
import { Ed25519Signer, ed25519Verifier } from '../src/adapters/noble/ed25519.ts';
import { createSystemClock } from '../src/adapters/system/clock.ts';
import type { AuditPackage } from '../src/kernel/audit/audit-package.ts';
import { verifyJournal } from '../src/kernel/audit/verify-journal.ts';
import { makeHarness } from './support/harness.ts';

describe('journal blocks and session expiry on libSQL', () => {
  it('seal, restart, recover, verify', async () => {
    const file = join(mkdtempSync(join(tmpdir(), 'kee-journal-')), 'kee.db');
    const signer = new Ed25519Signer(Ed25519Signer.generateSeed());
    let now = Date.parse('2026-12-06T00:00:00.000Z');
    const clock = createSystemClock(() => now);
    const open = async () => {
      const client = createLibsqlClient(`file:${file}`);
      const h = makeHarness({ store: await openLibsqlStore(client, { embedded: true }), signer, deps: { clock, options: { journal: { blockRecords: 3 }, sessions: { idleMs: 60_000 } } } });
      await h.started;
      return { h, client };
    };
    const first = await open();
    // block 1: KERNEL_BOOT and event 1 (sealed on size); block 2: event 2, left open by the crash
    for (let i = 1; i <= 2; i++) await first.h.kernel.recordSignerEvent({ event_type: 'TEST_EVENT', n: i });
    await first.h.kernel.journalFlush();
    const { json: s } = await first.h.call('POST', '/v1/sessions', { agent_id: 'a' });
    first.h.kernel.stop(); // a crash: block 2 and the session left open
    first.client.close();

    now += 61_000;
    const second = await open();
    expect((await second.h.store.getSession(s.session_id))?.status).toBe('CLOSED');
    const entries = await second.h.kernel.journalBlocks(1, 10);
    const pkgs: AuditPackage[] = [];
    for (const e of entries) {
      const sess = await second.h.store.getSession(e.session_id);
      if (sess?.status === 'CLOSED') pkgs.push(await second.h.kernel.getPackage(e.block_id));
    }
    expect(pkgs.map((p) => p.records.at(-1)!.record.seal_reason)).toEqual(['size', 'recovered']);
    const head = await second.h.kernel.journalHead();
    expect(verifyJournal(pkgs, { merkle: second.h.merkle, verifier: ed25519Verifier }, { head: head.next_block_id ?? head.open!.block_id, lastJournalSeq: head.last_journal_seq })).toMatchObject({ ok: true, blocks: 2 });
    second.h.kernel.stop();
    second.client.close();
  }, 60_000);
});
