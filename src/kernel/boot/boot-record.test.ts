/**
 * KEE-1 Appendix A step 3: every start journals KERNEL_BOOT (the kernel id, the manifest it
 * issued with its hash-lock and conformance level, the CAP Profile, the startup four checks) and
 * emits span `soos.kernel.boot`; the record is sealed into a signed journal block that verifies
 * offline, and a restart journals a second one.
 */
import { describe, expect, it } from 'vitest';
import { ed25519Verifier, Ed25519Signer } from '../../adapters/noble/ed25519.ts';
import { MemoryStore } from '../../adapters/memory/store.ts';
import { makeHarness } from '../../../test/support/harness.ts';
import { journalRecords } from '../../../test/support/operators.ts';
import { verifyJournal } from '../audit/verify-journal.ts';
import { checkSeq } from './boot-record.ts';

describe('KERNEL_BOOT', () => {
  it('names the kernel id, manifest hash-lock and conformance level; its span carries them; sealed and verified offline; one per start', async () => {
    const store = new MemoryStore();
    const signer = new Ed25519Signer(Ed25519Signer.generateSeed());
    const h = makeHarness({ store, signer });
    await h.started;
    const manifest = JSON.parse(await h.kernel.manifest()) as Record<string, unknown>;
    const s = (await h.call('POST', '/v1/sessions', { agent_id: 'a' })).json;
    const open = JSON.parse((await store.listRecords(s.session_id))[0]!.canonical) as Record<string, unknown>;
    const boots = (await journalRecords(store)).filter((r) => r.ale_type === 'KERNEL_BOOT');
    expect(boots).toHaveLength(1);
    const boot = boots[0]!;
    expect(boot).toMatchObject({
      kernel_id: h.kernel.kernelId,
      kernel_public_key: h.kernel.publicKey().public_key,
      manifest_id: manifest.manifest_id,
      manifest_epoch: manifest.epoch,
      // the epoch sessions opened after the start name
      manifest_hash: open.manifest_hash,
      conformance_level: manifest.conformance_level,
      cap_profile_id: manifest.cap_profile_id,
      cedar_policy_hash: manifest.cedar_policy_hash,
      startup_check_seq: '1:PASS,2:PASS,3:PASS,4:PASS',
      kernel_state: 'NORMAL',
    });
    expect(typeof boot.manifest_hash).toBe('string');
    const span = h.spans.getFinishedSpans().find((x) => x.name === 'soos.kernel.boot');
    expect(span?.attributes).toMatchObject({
      'soos.governance.kernel_id': h.kernel.kernelId,
      'soos.governance.cap_profile_id': manifest.cap_profile_id,
      'soos.kernel.manifest_hash': boot.manifest_hash,
      'soos.kernel.conformance_level': manifest.conformance_level,
      'soos.kernel.startup_check_seq': '1:PASS,2:PASS,3:PASS,4:PASS',
    });
    await h.kernel.shutdown();

    // a restart on the same store journals its own boot, under the next manifest epoch
    const again = makeHarness({ store, signer });
    await again.started;
    await again.kernel.shutdown();
    const all = (await journalRecords(store)).filter((r) => r.ale_type === 'KERNEL_BOOT');
    expect(all.map((r) => r.manifest_epoch)).toEqual([manifest.epoch, (manifest.epoch as number) + 1]);
    const head = await again.kernel.journalHead();
    const entries = (await again.kernel.journalBlocks(1, 10)).filter((e) => e.journal_seq <= head.last_journal_seq);
    const pkgs = await Promise.all(entries.map((e) => again.kernel.getPackage(e.block_id)));
    expect(verifyJournal(pkgs, { merkle: again.merkle, verifier: ed25519Verifier }, { head: head.next_block_id!, lastJournalSeq: head.last_journal_seq })).toMatchObject({ ok: true, blocks: 2 });
    expect(pkgs.map((p) => p.records[1]?.record.ale_type)).toEqual(['KERNEL_BOOT', 'KERNEL_BOOT']);
  });

  it('check_seq stops at the first failed check', () => {
    expect(checkSeq(null)).toBe('1:PASS,2:PASS,3:PASS,4:PASS');
    expect(checkSeq({ failedCheck: 2, reason: 'x' })).toBe('1:PASS,2:FAIL');
  });
});
