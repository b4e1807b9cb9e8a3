/**
 * `kee` command-line tool. `kee audit verify <file> [--public-key <hex>] [--json]` checks an
 * audit package offline, as JSON (`GET …/package`) or as an NDJSON stream
 * (`GET …/package?format=ndjson`, any size, streamed in constant memory, large files on one
 * thread per CPU (`--threads`), progress on a terminal: `verify-ndjson.ts`). Exit 0 when intact, 1 naming the first broken record, proof or signature, 2 for a
 * usage error (an unknown command, a malformed `--public-key`: one line) or an unreadable file.
 * `kee --version` prints the version.
 */
import './node-v8-flags.ts';
import { open, readFile, stat } from 'node:fs/promises';
import process from 'node:process';
import { ed25519Verifier } from '../adapters/noble/ed25519.ts';
import { initKeeWasm } from '../adapters/wasm/load.ts';
import { WasmMerkle } from '../adapters/wasm/merkle.ts';
import { parseAuditPackage } from '../audit-cli/package-schema.ts';
import { AUDIT_PACKAGE_STREAM_FORMAT } from '../kernel/audit/audit-package.ts';
import type { StreamVerifier, VerifyResult } from '../kernel/audit/stream-verify.ts';
import { verifyPackage } from '../kernel/audit/verify-package.ts';
import { packageVerdict } from '../audit-cli/verdict.ts';
import { KERNEL_VERSION } from './build-info.ts';
import { verifyNdjson } from './verify-ndjson.ts';

const USAGE = `usage:
  kee --version
  kee signer <serve|identity|keygen|refresh|repair|coordinator-key> …   (kee signer --help)
  kee attest verify <evidence> [--nonce <hex> --identity-key <hex> | --report-data <hex>]
        [--auxblob <file>] [--roots <pem>] [--json]
      parse an SEV-SNP report or TDX quote (raw bytes, or a sidecar's JSON answer), check the
      report-data binding and, with --roots, the vendor signature chain (kee attest --help)
  kee audit verify <package> [--public-key <hex>] [--json] [--threads <n>]
      verify an audit package offline: JSON (GET /v1/audit/blocks/{block_id}/package)
      or NDJSON (…/package?format=ndjson, streamed, any size; large files are verified
      in parallel on <n> threads, default one per CPU)
  kee audit verify-checkpoint <checkpoint> --public-key <hex> [--origin <origin>]
        [--previous <older checkpoint> --proof <consistency.json>]
        [--inclusion <inclusion.json> --leaf <block.json>] [--json]
      verify a signed block-log checkpoint, and optionally a consistency proof from an older
      checkpoint and the inclusion of a Session Block (kee audit verify-checkpoint --help)
  kee audit verify-journal <package>… [--head <block_id>] [--last-seq <n>] [--public-key <hex>] [--json]
      verify consecutive kernel journal blocks and their links; a cut tail fails (kee audit verify-journal --help)
  kee policy keygen | sign | push | validate | test
      CAP Profile publisher tools (\`kee policy --help\`)
  kee party-registry sign | push | verify
      the KIA Party Registry, signed by the CAP Profile publishers (\`kee party-registry --help\`)
  kee operator token --role <operator|auditor|approver> [--ttl <seconds>] [--key <jwk>]
      mint an operator bearer token (\`kee operator --help\`)
  kee agent keygen | register | session | authorize | close
      an agent's key, registration and authenticated decisions (KEE_AUTH=agents; \`kee agent --help\`)
  kee mcp-gateway --config <file> [--http <port>] [--packages <dir>]
      govern an MCP agent: authorize and record every tools/call to its MCP servers (docs/mcp.md)
  kee hem list | show | approve | reject
      human escalations: list them, answer one with an approver token (\`kee hem --help\`)`;

/** Whole-JSON packages above this size must be fetched as NDJSON (V8 cannot hold the text). */
const MAX_JSON_BYTES = 256 * 1024 * 1024;

class UsageError extends Error {}

async function main(argv: string[]): Promise<number> {
  const [group, verb, ...rest] = argv;
  if (group === 'policy') return (await import('./cli-policy.ts')).run(argv.slice(1));
  if (group === 'party-registry') return (await import('./cli-party-registry.ts')).run(argv.slice(1));
  if (group === 'operator') return (await import('./cli-operator.ts')).run(argv.slice(1));
  if (group === 'agent') return (await import('./cli-agent.ts')).run(argv.slice(1));
  if (group === 'hem') return (await import('./cli-hem.ts')).run(argv.slice(1));
  if (group === 'signer') return (await import('./cli-signer.ts')).run(argv.slice(1));
  if (group === 'mcp-gateway') return (await import('./cli-mcp-gateway.ts')).run(argv.slice(1));
  if (group === 'attest') return (await import('./cli-attest.ts')).run(argv.slice(1));
  if (group === '--version' || group === '-v') {
    console.log(`kee ${KERNEL_VERSION}`);
    return 0;
  }
  if (group === undefined || group === '--help' || group === '-h') return usage(0);
  if (group !== 'audit') return unknownCommand(group);
  if (verb === undefined || verb === '--help' || verb === '-h') return usage(verb === undefined ? 2 : 0);
  if (verb === 'verify-checkpoint') return (await import('./cli-checkpoint.ts')).run(rest);
  if (verb === 'verify-journal') return (await import('./cli-journal.ts')).run(rest);
  if (verb !== 'verify') return unknownCommand(`audit ${verb}`);
  let file: string | undefined;
  let publicKey: string | undefined;
  let json = false;
  let threads: number | undefined;
  for (let i = 0; i < rest.length; i++) {
    const a = rest[i] as string;
    if (a === '--json') json = true;
    else if (a === '--threads') {
      threads = Number(rest[++i]);
      if (!Number.isInteger(threads) || threads < 1) return usage(2);
    }
    else if (a === '--public-key') {
      publicKey = rest[++i];
      if (!publicKey) return usage(2);
      // a malformed key is the caller's mistake, not a signature failure of the package
      if (!/^[0-9a-fA-F]{64}$/.test(publicKey)) return usageLine(`--public-key must be 64 hex characters (the kernel's Ed25519 public key, GET /v1/kernel/public-key), got \`${publicKey}\``);
    } else if (a.startsWith('-')) return usage(2);
    else if (file === undefined) file = a;
    else return usage(2);
  }
  if (!file) return usage(2);

  const merkle = new WasmMerkle(initKeeWasm(await readFile(new URL('../../wasm/kee_wasm_bg.wasm', import.meta.url))));
  const deps = { merkle, verifier: ed25519Verifier };
  const options = publicKey ? { expectedPublicKey: publicKey } : {};
  let result: VerifyResult;
  try {
    result = (await isStream(file))
      ? await verifyNdjson(file, deps, { ...options, progress: !json && process.stderr.isTTY === true, ...(threads ? { threads } : {}) })
      : await verifyWhole(file, deps, options);
  } catch (e) {
    const msg = (e as { code?: string }).code === 'ENOENT' ? `no such file \`${file}\`` : e instanceof Error ? e.message : String(e);
    console.error(`kee: cannot read audit package: ${msg}`);
    return 2;
  }
  if (json) console.log(JSON.stringify(result));
  else if (result.ok) console.log(packageVerdict(result));
  else console.error(packageVerdict(result));
  return result.ok ? 0 : 1;
}

/** An NDJSON stream starts with a one-line header naming the stream format. */
async function isStream(file: string): Promise<boolean> {
  const fh = await open(file, 'r');
  try {
    const buf = Buffer.alloc(4096);
    const { bytesRead } = await fh.read(buf, 0, buf.length, 0);
    return buf.subarray(0, bytesRead).toString('utf8').includes(`"format":"${AUDIT_PACKAGE_STREAM_FORMAT}"`);
  } finally {
    await fh.close();
  }
}

async function verifyWhole(file: string, deps: ConstructorParameters<typeof StreamVerifier>[1], options: { expectedPublicKey?: string }): Promise<VerifyResult> {
  if ((await stat(file)).size > MAX_JSON_BYTES) throw new UsageError('package is too large for JSON: fetch it with `?format=ndjson`');
  let value: unknown;
  try {
    value = JSON.parse(await readFile(file, 'utf8'));
  } catch (e) {
    if ((e as { code?: string }).code) throw e;
    throw new UsageError('the file is not valid JSON');
  }
  return verifyPackage(parseAuditPackage(value), deps, options);
}

/** An unknown command: one line and a pointer to the usage, exit 2. */
function unknownCommand(command: string): number {
  return usageLine(`unknown command \`${command}\`: \`kee --help\` lists the commands`);
}

function usageLine(message: string): number {
  console.error(`kee: ${message}`);
  return 2;
}

function usage(code: number): number {
  (code === 0 ? console.log : console.error)(USAGE);
  return code;
}

process.exitCode = await main(process.argv.slice(2));
