/**
 * `kee` command-line tool. `kee audit verify <file> [--public-key <hex>] [--json]` checks an
 * audit package offline: exit 0 when intact, 1 naming the first broken record, proof or
 * signature, 2 for a usage error or an unreadable file.
 */
import { readFile } from 'node:fs/promises';
import process from 'node:process';
import { ed25519Verifier } from '../adapters/noble/ed25519.ts';
import { initKeeWasm } from '../adapters/wasm/load.ts';
import { WasmMerkle } from '../adapters/wasm/merkle.ts';
import { parseAuditPackage } from '../audit-cli/package-schema.ts';
import { verifyPackage } from '../kernel/audit/verify-package.ts';

const USAGE = `usage:
  kee audit verify <package.json> [--public-key <hex>] [--json]
      verify an audit package offline (GET /v1/audit/blocks/{block_id}/package)`;

async function main(argv: string[]): Promise<number> {
  const [group, verb, ...rest] = argv;
  if (group !== 'audit' || verb !== 'verify') return usage(group === undefined || group === '--help' || group === '-h' ? 0 : 2);
  let file: string | undefined;
  let publicKey: string | undefined;
  let json = false;
  for (let i = 0; i < rest.length; i++) {
    const a = rest[i] as string;
    if (a === '--json') json = true;
    else if (a === '--public-key') {
      publicKey = rest[++i];
      if (!publicKey) return usage(2);
    } else if (a.startsWith('-')) return usage(2);
    else if (file === undefined) file = a;
    else return usage(2);
  }
  if (!file) return usage(2);

  let pkg;
  try {
    pkg = parseAuditPackage(JSON.parse(await readFile(file, 'utf8')));
  } catch (e) {
    const msg = (e as { code?: string }).code === 'ENOENT' ? `no such file \`${file}\`` : e instanceof Error ? e.message : String(e);
    console.error(`kee: cannot read audit package: ${msg}`);
    return 2;
  }
  const merkle = new WasmMerkle(initKeeWasm(await readFile(new URL('../../wasm/kee_wasm_bg.wasm', import.meta.url))));
  const result = verifyPackage(pkg, { merkle, verifier: ed25519Verifier }, publicKey ? { expectedPublicKey: publicKey } : {});
  if (json) console.log(JSON.stringify(result));
  else if (result.ok) console.log(`OK block ${result.block_id}: ${result.records} records, chain, inclusion proofs, Merkle root and Ed25519 signature verified`);
  else console.error(`FAIL ${result.failure.kind}: ${result.failure.message}`);
  return result.ok ? 0 : 1;
}

function usage(code: number): number {
  (code === 0 ? console.log : console.error)(USAGE);
  return code;
}

process.exitCode = await main(process.argv.slice(2));
