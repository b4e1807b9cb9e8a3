/**
 * `kee attest verify <evidence>` (issue 21): what a TEE report says and whether it verifies.
 *
 *   kee attest verify <file> [--nonce <hex> --identity-key <hex> | --report-data <hex>]
 *                     [--provider sev_guest|tdx_guest] [--auxblob <file>] [--roots <pem>] [--json]
 *
 * `<file>` is a raw SEV-SNP report or TDX quote (configfs-tsm `outblob`), or a sidecar's JSON
 * answer to `POST /v1/attestation` (then nonce, identity key, provider and auxblob come from it,
 * and its identity signature is checked). The binding is SHA-512(nonce || identity key) unless
 * `--report-data` gives the expected 64 bytes. Exit 0 only when the evidence verifies fully:
 * binding, not debuggable, and the vendor chain to one of `--roots` (without `--roots` the chain
 * is not checked and the exit is 1).
 */
import { readFile } from 'node:fs/promises';
import { ed25519Verifier } from '../adapters/noble/ed25519.ts';
import { bindingReportData, inspectEvidence, verifyAnswer, type EvidenceInspection } from '../kernel/attestation/evidence.ts';
import { DomainError, isDomainError } from '../kernel/errors.ts';
import { fromHex } from '../kernel/hex.ts';
import { loadTeeRoots, NodeTeeChainVerifier } from './tee-chain.ts';

const USAGE = `usage:
  kee attest verify <evidence> [--nonce <hex> --identity-key <hex> | --report-data <hex>]
                    [--provider sev_guest|tdx_guest] [--auxblob <file>] [--roots <pem>] [--json]
      <evidence>: a raw SEV-SNP report or TDX quote v4, or a signer sidecar's JSON answer to
      POST /v1/attestation; --roots: PEM file of the vendor roots (AMD ARK, Intel SGX Root CA)`;

class UsageError extends Error {}

function hexArg(values: Map<string, string>, name: string): Uint8Array | undefined {
  const v = values.get(name);
  if (v === undefined) return undefined;
  const b = fromHex(v.trim().toLowerCase());
  if (!b) throw new UsageError(`${name} must be hex`);
  return b;
}

export async function run(argv: string[]): Promise<number> {
  const [verb, ...rest] = argv;
  try {
    if (verb === undefined || verb === '--help' || verb === '-h') {
      console.log(USAGE);
      return verb === undefined ? 2 : 0;
    }
    if (verb !== 'verify') throw new UsageError(`unknown command \`attest ${verb}\``);
    const values = new Map<string, string>();
    const positional: string[] = [];
    let json = false;
    for (let i = 0; i < rest.length; i++) {
      const a = rest[i] as string;
      if (a === '--json') json = true;
      else if (['--nonce', '--identity-key', '--report-data', '--provider', '--auxblob', '--roots'].includes(a)) {
        const v = rest[++i];
        if (v === undefined) throw new UsageError(`${a} needs a value`);
        values.set(a, v);
      } else if (a.startsWith('-')) throw new UsageError(`unknown option ${a}`);
      else positional.push(a);
    }
    if (positional.length !== 1) throw new UsageError('verify needs one evidence file');
    let bytes: Uint8Array;
    try {
      bytes = new Uint8Array(await readFile(positional[0] as string));
    } catch {
      throw new DomainError('INVALID_INPUT', `the evidence file \`${positional[0]}\` cannot be read`);
    }
    const chain = values.has('--roots') ? new NodeTeeChainVerifier(await loadTeeRoots(values.get('--roots') as string)) : undefined;
    const nonce = hexArg(values, '--nonce');
    const identityKey = hexArg(values, '--identity-key');
    const reportData = hexArg(values, '--report-data');
    if ((nonce === undefined) !== (identityKey === undefined)) throw new UsageError('--nonce and --identity-key go together');
    if (reportData !== undefined && nonce !== undefined) throw new UsageError('give --report-data or --nonce/--identity-key, not both');

    if (bytes[0] === 0x7b /* { */) {
      // a sidecar's answer: verify it the way the kernel does
      let answer: unknown;
      try {
        answer = JSON.parse(new TextDecoder().decode(bytes));
      } catch {
        throw new DomainError('INVALID_INPUT', `\`${positional[0]}\` starts like JSON but does not parse`);
      }
      const n = nonce ?? fromHex(String((answer as { nonce?: unknown }).nonce ?? ''));
      if (!n) throw new DomainError('INVALID_INPUT', 'the answer has no hex nonce');
      const entry = await verifyAnswer(0, answer, n, { ed25519: ed25519Verifier, ...(chain ? { chain } : {}) }, identityKey);
      const { participant: _p, evidence: _e, ...shown } = entry;
      console.log(json ? JSON.stringify(shown) : describeEntry(shown));
      return entry.status === 'verified' && entry.chain === 'verified' ? 0 : 1;
    }
    let auxblob: Uint8Array | undefined;
    if (values.has('--auxblob')) {
      try {
        auxblob = new Uint8Array(await readFile(values.get('--auxblob') as string));
      } catch {
        throw new DomainError('INVALID_INPUT', `the auxblob file \`${values.get('--auxblob')}\` cannot be read`);
      }
    }
    const expected = reportData ?? (nonce && identityKey ? await bindingReportData(nonce, identityKey) : undefined);
    const tsmProvider = values.get('--provider');
    const result = await inspectEvidence(bytes, { ...(tsmProvider ? { tsmProvider } : {}), ...(expected ? { expectedReportData: expected } : {}), ...(auxblob ? { auxblob } : {}), ...(chain ? { chain } : {}) });
    console.log(json ? JSON.stringify(result) : describe(result));
    return result.verified ? 0 : 1;
  } catch (e) {
    if (e instanceof UsageError) {
      console.error(`kee: ${e.message}\n${USAGE}`);
      return 2;
    }
    if (isDomainError(e)) {
      console.error(`kee: ${e.message}`);
      return 1;
    }
    throw e;
  }
}

function describe(r: EvidenceInspection): string {
  const lines = [`${r.kind} evidence: ${r.verified ? 'VERIFIED' : 'NOT VERIFIED'}`];
  for (const [k, v] of Object.entries(r.report)) lines.push(`  ${k}: ${Array.isArray(v) ? v.join(', ') : String(v)}`);
  lines.push(`  binding: ${r.binding}`, `  debug_allowed: ${r.debug_allowed}`);
  lines.push(`  chain: ${r.chain.status}${r.chain.status === 'failed' ? ` (${r.chain.reason})` : r.chain.status === 'verified' ? ` (${r.chain.subjects.join(' <- ')})` : ' (give --roots)'}`);
  return lines.join('\n');
}

function describeEntry(e: Record<string, unknown>): string {
  return Object.entries(e)
    .map(([k, v]) => `${k}: ${typeof v === 'object' ? JSON.stringify(v) : String(v)}`)
    .join('\n');
}

