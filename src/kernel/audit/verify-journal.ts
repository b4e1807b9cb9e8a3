import type { AuditPackage } from './audit-package.ts';
import { JOURNAL_AGENT_ID } from './journal.ts';
import { verifyPackage, type VerifyDeps } from './verify-package.ts';

export type JournalFailureKind = 'package' | 'not_journal' | 'journal_gap' | 'journal_link' | 'journal_truncated';
export type JournalVerifyResult =
  | { ok: true; blocks: number; first_journal_seq: number; last_journal_seq: number; next_journal_block_id: string; records: number }
  | { ok: false; failure: { kind: JournalFailureKind; message: string; journal_seq?: number; block_id?: string } };

/**
 * Where the journal stands, as the kernel reports it (`GET /v1/audit/journal`): the block the
 * journal continues in after the last sealed one (`head`), and/or the last sealed journal_seq.
 */
export type JournalHead = { head?: string; lastJournalSeq?: number };

type Facts = { seq: number; prev: string | null; next: string; blockId: string };

/**
 * Verifies a run of kernel journal blocks offline, in journal order: each package as `kee audit
 * verify` does (records, inclusion proofs, Merkle root, signature), each a journal block
 * (SESSION_OPEN by `kee-kernel` with `journal_seq`; sealed by a SESSION_COMPLETE naming the
 * `next_journal_block_id`), the sequence without gaps, each block's `prev_journal_block_id`
 * the block before it and each `next_journal_block_id` the block after it. With `head`, the run
 * must reach the journal's head: a last block that names another successor, or a
 * `lastJournalSeq` past the run, is a truncated tail.
 */
export function verifyJournal(packages: readonly AuditPackage[], deps: VerifyDeps, options: JournalHead & { expectedPublicKey?: string } = {}): JournalVerifyResult {
  if (packages.length === 0) return fail('package', 'no journal blocks given');
  let previous: Facts | null = null;
  let records = 0;
  for (const pkg of packages) {
    const blockId = pkg.block.block_id;
    const checked = verifyPackage(pkg, deps, options.expectedPublicKey ? { expectedPublicKey: options.expectedPublicKey } : {});
    if (!checked.ok) return fail('package', `journal block \`${blockId}\`: ${checked.failure.message}`, { block_id: blockId });
    const facts = journalFacts(pkg);
    if (typeof facts === 'string') return fail('not_journal', `block \`${blockId}\` ${facts}`, { block_id: blockId });
    records += pkg.records.length;
    if (previous === null) {
      if (facts.seq === 1 && facts.prev !== null) return fail('journal_link', `journal block 1 (\`${blockId}\`) names a predecessor \`${facts.prev}\``, { journal_seq: 1, block_id: blockId });
    } else {
      if (facts.seq !== previous.seq + 1) {
        const what = facts.seq > previous.seq + 1 ? `journal blocks ${previous.seq + 1} to ${facts.seq - 1} are missing` : `journal block ${facts.seq} is out of order`;
        return fail('journal_gap', `after journal block ${previous.seq} comes block ${facts.seq} (\`${blockId}\`): ${what}`, { journal_seq: facts.seq, block_id: blockId });
      }
      if (facts.prev !== previous.blockId || previous.next !== blockId) {
        return fail('journal_link', `journal block ${facts.seq} (\`${blockId}\`) does not link to block ${previous.seq} (\`${previous.blockId}\`): it names \`${String(facts.prev)}\` before it, and block ${previous.seq} names \`${previous.next}\` after it`, { journal_seq: facts.seq, block_id: blockId });
      }
    }
    previous = facts;
  }
  const last = previous as Facts;
  if (options.head !== undefined && options.head !== last.next) {
    return fail('journal_truncated', `the journal continues after block ${last.seq} in \`${last.next}\`, but its head is \`${options.head}\`: sealed journal blocks after ${last.seq} are missing`, { journal_seq: last.seq });
  }
  if (options.lastJournalSeq !== undefined && options.lastJournalSeq > last.seq) {
    return fail('journal_truncated', `the journal's last sealed block is ${options.lastJournalSeq}, the blocks given end at ${last.seq}: blocks ${last.seq + 1} to ${options.lastJournalSeq} are missing`, { journal_seq: last.seq });
  }
  const first = journalFacts(packages[0] as AuditPackage) as Facts;
  return { ok: true, blocks: packages.length, first_journal_seq: first.seq, last_journal_seq: last.seq, next_journal_block_id: last.next, records };
}

/** The journal fields of a package's first and last record, or why it is not a sealed journal block. */
function journalFacts(pkg: AuditPackage): Facts | string {
  const open = pkg.records[0]?.record;
  const complete = pkg.records.at(-1)?.record;
  if (!open || open.ale_type !== 'SESSION_OPEN' || open.agent_id !== JOURNAL_AGENT_ID) return `is not a kernel journal block (its first record is not a SESSION_OPEN by \`${JOURNAL_AGENT_ID}\`)`;
  const seq = open.journal_seq;
  if (typeof seq !== 'number' || !Number.isSafeInteger(seq) || seq < 1) return 'has no `journal_seq` in its SESSION_OPEN (written before journal blocks were sealed)';
  const prev = open.prev_journal_block_id;
  if (prev !== null && typeof prev !== 'string') return 'has a malformed `prev_journal_block_id`';
  if (!complete || complete.ale_type !== 'SESSION_COMPLETE' || complete.journal_seq !== seq || typeof complete.next_journal_block_id !== 'string') {
    return `(journal block ${seq}) does not end in a SESSION_COMPLETE naming its journal_seq and next_journal_block_id`;
  }
  return { seq, prev, next: complete.next_journal_block_id, blockId: pkg.block.block_id };
}

function fail(kind: JournalFailureKind, message: string, at: { journal_seq?: number; block_id?: string } = {}): JournalVerifyResult {
  return { ok: false, failure: { kind, message, ...at } };
}
