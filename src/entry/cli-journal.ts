/**
 * `kee audit verify-journal <package>… [--head <block_id>] [--last-seq <n>] [--public-key <hex>] [--json]`
 *
 * Verifies a run of kernel journal blocks offline (their audit packages, JSON, in journal
 * order): each package as `kee audit verify` does, and the chain of blocks: no journal_seq
 * missing, each block linked to the one before and after it. With `--head` (the block the
 * journal continues in, `GET /v1/audit/journal`) and/or `--last-seq`, a run that stops short of
 * the journal's head is a truncated tail. Exit 0 verified, 1 naming the first failure, 2 for a
 * usage error or an unreadable file.
 */
import { readFile } from 'node:fs/promises';
import { ed25519Verifier } from '../adapters/noble/ed25519.ts';
import { initKeeWasm } from '../adapters/wasm/load.ts';
import { WasmMerkle } from '../adapters/wasm/merkle.ts';
import { parseAuditPackage } from '../audit-cli/package-schema.ts';
import type { AuditPackage } from '../kernel/audit/audit-package.ts';
import { verifyJournal } from '../kernel/audit/verify-journal.ts';

const USAGE = `usage:
  kee audit verify-journal <package>… [--head <block_id>] [--last-seq <n>] [--public-key <hex>] [--json]
      verify kernel journal blocks offline: the audit packages (GET /v1/audit/blocks/{block_id}/package)
      of consecutive journal blocks, in journal order (GET /v1/audit/journal lists them); with
      --head (the journal's next_block_id or open block) and --last-seq (its last_journal_seq)
      a run that stops short of the journal's head fails as a truncated tail
exit: 0 verified, 1 a check failed (named), 2 usage error or unreadable file`;

export async function run(args: string[]): Promise<number> {
  const files: string[] = [];
  let head: string | undefined;
  let lastSeq: number | undefined;
  let publicKey: string | undefined;
  let json = false;
  for (let i = 0; i < args.length; i++) {
    const a = args[i] as string;
    if (a === '--help' || a === '-h') {
      console.log(USAGE);
      return 0;
    }
    if (a === '--json') json = true;
    else if (a === '--head') {
      head = args[++i];
      if (!head || !/^[0-9a-f]{32}$/.test(head)) return usageLine(`--head must be a block id (32 lowercase hex characters), got \`${head ?? ''}\``);
    } else if (a === '--last-seq') {
      const raw = args[++i] ?? '';
      lastSeq = Number(raw);
      if (!/^[0-9]+$/.test(raw) || !Number.isSafeInteger(lastSeq)) return usageLine(`--last-seq must be a whole number, got \`${raw}\``);
    } else if (a === '--public-key') {
      publicKey = args[++i];
      if (!publicKey || !/^[0-9a-fA-F]{64}$/.test(publicKey)) return usageLine(`--public-key must be 64 hex characters (GET /v1/kernel/public-key), got \`${publicKey ?? ''}\``);
    } else if (a.startsWith('-')) return usageLine(`unknown option \`${a}\``);
    else files.push(a);
  }
  if (files.length === 0) {
    console.error(USAGE);
    return 2;
  }
  const packages: AuditPackage[] = [];
  for (const file of files) {
    try {
      packages.push(parseAuditPackage(JSON.parse(await readFile(file, 'utf8'))));
    } catch (e) {
      const msg = (e as { code?: string }).code === 'ENOENT' ? `no such file \`${file}\`` : e instanceof Error ? e.message : String(e);
      console.error(`kee: cannot read journal block \`${file}\`: ${msg}`);
      return 2;
    }
  }
  const merkle = new WasmMerkle(initKeeWasm(await readFile(new URL('../../wasm/kee_wasm_bg.wasm', import.meta.url))));
  const result = verifyJournal(packages, { merkle, verifier: ed25519Verifier }, { ...(head ? { head } : {}), ...(lastSeq === undefined ? {} : { lastJournalSeq: lastSeq }), ...(publicKey ? { expectedPublicKey: publicKey } : {}) });
  if (json) console.log(JSON.stringify(result));
  else if (result.ok) console.log(`OK journal blocks ${result.first_journal_seq} to ${result.last_journal_seq}: ${result.records} records, every block verified and linked; the journal continues in ${result.next_journal_block_id}`);
  else console.error(`FAIL ${result.failure.kind}: ${result.failure.message}`);
  return result.ok ? 0 : 1;
}

function usageLine(message: string): number {
  console.error(`kee: ${message}`);
  return 2;
}
