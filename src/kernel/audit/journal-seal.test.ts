/**
 * The kernel journal closes into signed Session Blocks: on a size bound, on a time bound (the
 * kernel clock, driven here by hand: no test sleeps), at shutdown, and at the next start for a
 * block a crash left open. The blocks enter the block log, verify offline one by one and as a
 * chain, and a missing, replaced or cut-off journal block is detected by the offline verifier.
 */
import { describe, expect, it } from 'vitest';
import { createSystemClock } from '../../adapters/system/clock.ts';
import { ed25519Verifier } from '../../adapters/noble/ed25519.ts';
import { MemoryStore } from '../../adapters/memory/store.ts';
import { Ed25519Signer } from '../../adapters/noble/ed25519.ts';
import { makeHarness } from '../../../test/support/harness.ts';
import { until } from '../../../test/support/until.ts';
import type { Signer } from '../../ports/signer.ts';
import type { AuditPackage } from './audit-package.ts';
import { JOURNAL_AGENT_ID } from './journal.ts';
import { verifyJournal } from './verify-journal.ts';
import { verifyPackage } from './verify-package.ts';

function setup(journal: { blockMs?: number; blockRecords?: number }, store = new MemoryStore(), signer?: Signer, later = 0) {
  let now = Date.parse('2026-12-06T00:00:00.000Z') + later;
  const clock = createSystemClock(() => now);
  const h = makeHarness({ store, ...(signer ? { signer } : {}), deps: { clock, options: { journal } } });
  const advance = (ms: number) => void (now += ms);
  const event = (n: number) => h.kernel.recordSignerEvent({ event_type: 'TEST_EVENT', n });
  const packages = async () => {
    const entries = await h.kernel.journalBlocks(1, 100);
    const out: AuditPackage[] = [];
    for (const e of entries) {
      const s = await h.store.getSession(e.session_id);
      if (s?.status === 'CLOSED') out.push(await h.kernel.getPackage(e.block_id));
    }
    return out;
  };
  const verify = (pkgs: AuditPackage[], head?: { head?: string; lastJournalSeq?: number }) => verifyJournal(pkgs, { merkle: h.merkle, verifier: ed25519Verifier }, head);
  return { h, advance, event, packages, verify, store };
}

describe('kernel journal blocks', () => {
  it('seals a block after blockRecords records; each block verifies offline and is in the block log', async () => {
    const { h, event, packages, verify } = setup({ blockRecords: 4 });
    await h.started;
    for (let i = 1; i <= 7; i++) await event(i);
    await h.kernel.journalFlush();
    const pkgs = await packages();
    // 4 records a block: SESSION_OPEN + 3 records (the first block: KERNEL_BOOT + 2 events), then SESSION_COMPLETE is the 5th
    expect(pkgs.map((p) => p.records.length)).toEqual([5, 5]);
    for (const p of pkgs) {
      expect(verifyPackage(p, { merkle: h.merkle, verifier: ed25519Verifier }).ok).toBe(true);
      expect(await h.kernel.blockLogIndex(p.block.block_id)).not.toBeNull();
      const complete = p.records.at(-1)!.record;
      expect(complete).toMatchObject({ ale_type: 'SESSION_COMPLETE', seal_reason: 'size' });
      expect(p.records[0]!.record).toMatchObject({ ale_type: 'SESSION_OPEN', agent_id: JOURNAL_AGENT_ID });
    }
    const [b1, b2] = pkgs as [AuditPackage, AuditPackage];
    expect(b1.records[0]!.record).toMatchObject({ journal_seq: 1, prev_journal_block_id: null });
    expect(b2.records[0]!.record).toMatchObject({ journal_seq: 2, prev_journal_block_id: b1.block.block_id });
    expect(b1.records.at(-1)!.record.next_journal_block_id).toBe(b2.block.block_id);
    const head = await h.kernel.journalHead();
    // the 6th event opened block 3, which names block 2 before it
    expect(head.open?.journal_seq).toBe(3);
    expect(b2.records.at(-1)!.record.next_journal_block_id).toBe(head.open?.block_id);
    expect(verify(pkgs, { head: head.open!.block_id, lastJournalSeq: head.last_journal_seq })).toMatchObject({ ok: true, blocks: 2, last_journal_seq: 2 });
  });

  it('seals on the time bound by the kernel clock (tick), and at shutdown', async () => {
    const { h, advance, event, packages } = setup({ blockMs: 60_000 });
    await h.started;
    await event(1);
    advance(59_000);
    await h.kernel.tick();
    expect(await packages()).toHaveLength(0);
    advance(1_000);
    await h.kernel.tick();
    await h.kernel.journalFlush();
    let pkgs = await packages();
    expect(pkgs).toHaveLength(1);
    expect(pkgs[0]!.records.at(-1)!.record).toMatchObject({ seal_reason: 'time', journal_seq: 1 });
    await event(2);
    await h.kernel.shutdown();
    pkgs = await packages();
    expect(pkgs.map((p) => p.records.at(-1)!.record.seal_reason)).toEqual(['time', 'shutdown']);
    expect(pkgs[1]!.records.map((r) => r.record.ale_type)).toEqual(['SESSION_OPEN', 'KERNEL_AUDIT_ANOMALY', 'SESSION_COMPLETE']);
  });

  it('a journal block a crash left open is sealed by the next start, and the chain continues from it', async () => {
    const store = new MemoryStore();
    const key = new Ed25519Signer(Ed25519Signer.generateSeed());
    const first = setup({}, store, key);
    await first.h.started;
    await first.event(1);
    first.h.kernel.stop(); // a crash: no shutdown seal
    // a start within the block's time bound continues the block; one past it seals it first
    const second = setup({}, store, key, 61_000);
    await second.h.started;
    const pkgs = await second.packages();
    expect(pkgs).toHaveLength(1);
    expect(pkgs[0]!.records.at(-1)!.record).toMatchObject({ seal_reason: 'recovered', journal_seq: 1 });
    await second.event(2);
    await second.h.kernel.shutdown();
    const all = await second.packages();
    expect(all).toHaveLength(2);
    expect(second.verify(all)).toMatchObject({ ok: true, blocks: 2 });
  });

  it('two kernels on one store (PostgreSQL, workerd) keep one journal chain', async () => {
    const store = new MemoryStore();
    const key = new Ed25519Signer(Ed25519Signer.generateSeed());
    const a = setup({ blockRecords: 3 }, store, key);
    const b = setup({ blockRecords: 3 }, store, key);
    await a.h.started;
    await b.h.started;
    for (let i = 1; i <= 12; i++) {
      await (i % 3 === 0 ? b : a).event(i);
      await a.h.kernel.journalFlush();
      await b.h.kernel.journalFlush();
    }
    await a.h.kernel.shutdown();
    await b.h.kernel.shutdown();
    const pkgs = await a.packages();
    expect(pkgs.length).toBeGreaterThanOrEqual(4);
    const events = pkgs.flatMap((p) => p.records.filter((r) => r.record.event_type === 'TEST_EVENT').map((r) => r.record.n));
    expect([...events].sort((x, y) => Number(x) - Number(y))).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12]);
    const head = await a.h.kernel.journalHead();
    expect(a.verify(pkgs, { head: head.next_block_id!, lastJournalSeq: head.last_journal_seq })).toMatchObject({ ok: true, blocks: pkgs.length });
  });

  it('the offline verifier detects a missing block, a replaced link and a cut tail', async () => {
    const { h, event, packages, verify } = setup({ blockRecords: 2 });
    await h.started;
    // block 1 holds KERNEL_BOOT, blocks 2 to 4 one event each
    for (let i = 1; i <= 3; i++) await event(i);
    await h.kernel.journalFlush();
    await h.kernel.shutdown();
    const pkgs = await packages();
    expect(pkgs).toHaveLength(4);
    const head = await h.kernel.journalHead();
    expect(verify(pkgs, { head: head.next_block_id!, lastJournalSeq: head.last_journal_seq }).ok).toBe(true);

    // a block taken out of the middle
    const gap = verify([pkgs[0]!, pkgs[2]!, pkgs[3]!]);
    expect(gap).toMatchObject({ ok: false, failure: { kind: 'journal_gap' } });
    expect(!gap.ok && gap.failure.message).toContain('journal blocks 2 to 2 are missing');

    // the tail cut off: the run ends at block 2, the journal went on to 4
    const cut = verify(pkgs.slice(0, 2), { head: head.next_block_id!, lastJournalSeq: head.last_journal_seq });
    expect(cut).toMatchObject({ ok: false, failure: { kind: 'journal_truncated', journal_seq: 2 } });
    expect(verify(pkgs.slice(0, 2), { lastJournalSeq: 4 })).toMatchObject({ ok: false, failure: { kind: 'journal_truncated' } });

    // a block of another journal (another kernel's, same numbering) put in place of block 2
    const other = setup({ blockRecords: 2 });
    await other.h.started;
    for (let i = 1; i <= 2; i++) await other.event(i);
    await other.h.kernel.journalFlush();
    await other.h.kernel.shutdown();
    const foreign = (await other.packages())[1]!;
    expect(foreign.records[0]!.record.journal_seq).toBe(2);
    const swapped = verifyJournal([pkgs[0]!, foreign, pkgs[2]!], { merkle: h.merkle, verifier: ed25519Verifier });
    expect(swapped).toMatchObject({ ok: false, failure: { kind: 'journal_link', journal_seq: 2 } });

    // a session block that is not a journal block
    const s = (await h.call('POST', '/v1/sessions', { agent_id: 'a' })).json;
    const block = (await h.call('POST', `/v1/sessions/${s.session_id}/close`)).json;
    const pkg = await h.kernel.getPackage(block.block_id);
    expect(verify([pkg])).toMatchObject({ ok: false, failure: { kind: 'not_journal' } });
  });

  it('GET /v1/audit/journal lists only sealed blocks: one whose signature is still being made is not listed, and every listed package answers 200', async () => {
    const key = new Ed25519Signer(Ed25519Signer.generateSeed());
    let release: (() => void) | null = null;
    let gated = false;
    const signer: Signer = {
      algorithm: 'Ed25519',
      publicKey: () => key.publicKey(),
      describe: () => key.describe(),
      sign: async (m) => {
        if (gated) await new Promise<void>((r) => (release = r));
        return key.sign(m);
      },
    };
    const { h, event } = setup({ blockRecords: 2 }, new MemoryStore(), signer);
    await h.started;
    gated = true;
    await event(1);
    await event(2); // block 1 is due: its successor is claimed and its seal waits on the signer
    await until('the seal waiting on the signer', () => release !== null, { everyMs: 1 });
    const during = (await h.call('GET', '/v1/audit/journal')).json;
    expect(during).toMatchObject({ last_journal_seq: 0, blocks: [] });
    const sealing = (await h.kernel.journalBlocks(1, 1))[0]!;
    expect((await h.call('GET', `/v1/audit/blocks/${sealing.block_id}/package`)).status).toBe(404);
    gated = false;
    (release as unknown as () => void)();
    await h.kernel.journalFlush();
    const after = (await h.call('GET', '/v1/audit/journal')).json;
    expect(after.last_journal_seq).toBeGreaterThanOrEqual(1);
    expect(after.blocks[0].block_id).toBe(sealing.block_id);
    expect(after.blocks).toHaveLength(after.last_journal_seq);
    for (const b of after.blocks) expect((await h.call('GET', `/v1/audit/blocks/${b.block_id}/package`)).status).toBe(200);
  });

  it('a journal record cut from the open block before its seal is found at the seal (chain gap), never signed over', async () => {
    const { h, event, packages, store } = setup({ blockRecords: 100 });
    await h.started;
    for (let i = 1; i <= 3; i++) await event(i);
    const head = await h.kernel.journalHead();
    const raw = store.rawRecords(head.open!.session_id);
    raw.splice(raw.length - 1, 1); // the last journal record deleted in the store
    await h.kernel.shutdown();
    expect(await packages()).toHaveLength(0);
    expect((await store.getSession(head.open!.session_id))?.status).toBe('TAMPERED');
  });
});
