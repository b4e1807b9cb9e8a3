/**
 * `kee audit verify-checkpoint <checkpoint> --public-key <hex> [--origin <origin>]
 *   [--previous <older checkpoint> --proof <consistency.json>] [--inclusion <proof.json> --leaf <block.json>] [--json]`
 *
 * Verifies a block-log checkpoint offline (the C2SP signed note of GET /v1/audit/checkpoint, as
 * text or its JSON form), and optionally that it extends an older checkpoint (RFC 9162
 * consistency proof) and that it includes one Session Block (inclusion proof). Exit 0 when all
 * hold, 1 naming the first that fails, 2 for a usage error or an unreadable file.
 */
import { checkpointVerdict } from '../audit-cli/verdict.ts';
import { readFile } from 'node:fs/promises';
import { ed25519Verifier } from '../adapters/noble/ed25519.ts';
import { initKeeWasm } from '../adapters/wasm/load.ts';
import { WasmMerkle } from '../adapters/wasm/merkle.ts';
import { parseCheckpointJson, parseConsistencyProof, parseInclusionProof, parseLeaf } from '../audit-cli/checkpoint-schema.ts';
import { base64 } from '../kernel/audit/checkpoint.ts';
import { verifyCheckpoint, type CheckpointCheck, type CheckpointFailureKind, type CheckpointVerifyResult } from '../kernel/audit/verify-checkpoint.ts';
import { fromHex } from '../kernel/hex.ts';

const USAGE = `usage:
  kee audit verify-checkpoint <checkpoint> --public-key <hex> [--origin <origin>]
        [--previous <older checkpoint> --proof <consistency.json>]
        [--inclusion <inclusion.json> --leaf <block.json>] [--json]
      verify a block-log checkpoint (GET /v1/audit/checkpoint, text or JSON) signed by the
      kernel key <hex> (GET /v1/kernel/public-key); with --previous and --proof
      (GET /v1/audit/proofs/consistency?from=<older size>&to=<size>) that it extends the older
      checkpoint; with --inclusion (GET /v1/audit/proofs/inclusion?block_id=<id>&size=<size>)
      and --leaf (the Session Block, or GET /v1/audit/log/entries/<index>) that it includes the block
exit: 0 verified, 1 a check failed (named), 2 usage error or unreadable file`;

const VALUE_FLAGS = ['public-key', 'origin', 'previous', 'proof', 'inclusion', 'leaf'] as const;
type Flag = (typeof VALUE_FLAGS)[number];

class UsageError extends Error {}
class Unreadable extends Error {}
/** A file that reads but whose content contradicts what it claims: a verification failure. */
class Mismatch extends Error {
  readonly kind: CheckpointFailureKind;
  constructor(kind: CheckpointFailureKind, message: string) {
    super(message);
    this.kind = kind;
  }
}

export async function run(argv: string[]): Promise<number> {
  let args: { file: string; json: boolean; flags: Partial<Record<Flag, string>> };
  try {
    args = parseArgs(argv);
  } catch (e) {
    if (e instanceof UsageError) {
      console.error(`kee audit verify-checkpoint: ${e.message}`);
      return usage(2);
    }
    throw e;
  }
  if (args.file === '--help') return usage(0);
  const { flags, json } = args;
  const publicKey = fromHex((flags['public-key'] ?? '').toLowerCase());
  if (!publicKey || publicKey.length !== 32) {
    console.error('kee audit verify-checkpoint: --public-key must be the kernel\'s Ed25519 key, 64 hex digits (GET /v1/kernel/public-key)');
    return 2;
  }
  let result: CheckpointVerifyResult;
  try {
    const note = await readCheckpoint(args.file, 'checkpoint');
    const check: CheckpointCheck = { note: note.note };
    const previous = flags.previous === undefined ? undefined : await readCheckpoint(flags.previous, 'previous');
    if (previous && flags.proof !== undefined) check.previous = { note: previous.note, proof: parseConsistencyProof(await readJson(flags.proof, 'consistency proof')) };
    if (flags.inclusion !== undefined && flags.leaf !== undefined) {
      check.inclusion = { proof: parseInclusionProof(await readJson(flags.inclusion, 'inclusion proof')), leaf: parseLeaf(await readJson(flags.leaf, 'leaf')) };
    }
    const merkle = new WasmMerkle(initKeeWasm(await readFile(new URL('../../wasm/kee_wasm_bg.wasm', import.meta.url))));
    result = verifyCheckpoint(check, { merkle, verifier: ed25519Verifier }, { publicKey, ...(flags.origin !== undefined ? { origin: flags.origin } : {}) });
    if (result.ok) {
      note.agrees(result, 'checkpoint');
      if (previous && result.consistency) previous.agrees({ origin: result.origin, size: result.consistency.from, root: result.consistency.from_root }, 'previous');
    }
  } catch (e) {
    if (e instanceof Mismatch) result = { ok: false, failure: { kind: e.kind, message: e.message } };
    else {
      console.error(`kee audit verify-checkpoint: ${e instanceof Unreadable || (e as { code?: string }).code === 'INVALID_INPUT' ? (e as Error).message : String(e)}`);
      return 2;
    }
  }
  if (json) console.log(JSON.stringify(result));
  else if (result.ok) console.log(checkpointVerdict(result));
  else console.error(checkpointVerdict(result));
  return result.ok ? 0 : 1;
}

function parseArgs(argv: string[]): { file: string; json: boolean; flags: Partial<Record<Flag, string>> } {
  const flags: Partial<Record<Flag, string>> = {};
  let file: string | undefined;
  let json = false;
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i] as string;
    if (a === '--help' || a === '-h') return { file: '--help', json, flags };
    if (a === '--json') json = true;
    else if (a.startsWith('--') && (VALUE_FLAGS as readonly string[]).includes(a.slice(2))) {
      const value = argv[++i];
      if (value === undefined || value.startsWith('--')) throw new UsageError(`${a} needs a value`);
      flags[a.slice(2) as Flag] = value;
    } else if (a.startsWith('-')) throw new UsageError(`unknown option \`${a.slice(0, 64)}\``);
    else if (file === undefined) file = a;
    else throw new UsageError(`one checkpoint file, got \`${a.slice(0, 64)}\` too`);
  }
  if (file === undefined) throw new UsageError('no checkpoint file');
  if (flags['public-key'] === undefined) throw new UsageError("--public-key is required: the kernel's Ed25519 key (GET /v1/kernel/public-key), pinned by you");
  if ((flags.previous === undefined) !== (flags.proof === undefined)) throw new UsageError('--previous and --proof go together');
  if ((flags.inclusion === undefined) !== (flags.leaf === undefined)) throw new UsageError('--inclusion and --leaf go together');
  return { file, json, flags };
}

/**
 * A checkpoint file: the signed note as served (text/plain), or the JSON form, whose unsigned
 * fields (origin, size, root, root_hex) must then agree with the verified note.
 */
async function readCheckpoint(file: string, which: 'checkpoint' | 'previous') {
  const text = await read(file, which === 'checkpoint' ? 'checkpoint' : 'older checkpoint');
  if (!text.trimStart().startsWith('{')) return { note: text, agrees: () => undefined };
  const cp = parseCheckpointJson(parseJson(text, file));
  return {
    note: cp.note,
    agrees(signed: { origin: string; size: number; root: string }, kind: CheckpointFailureKind) {
      const rootB64 = base64(fromHex(signed.root) ?? new Uint8Array(0));
      const differs = (cp.origin !== undefined && cp.origin !== signed.origin && 'origin') || (cp.size !== undefined && cp.size !== signed.size && 'size') ||
        (cp.root !== undefined && cp.root !== rootB64 && 'root') || (cp.root_hex !== undefined && cp.root_hex !== signed.root && 'root_hex');
      if (differs) throw new Mismatch(kind, `the JSON field \`${differs}\` of \`${file}\` is not what its signed note says`);
    },
  };
}

async function read(file: string, what: string): Promise<string> {
  try {
    return await readFile(file, 'utf8');
  } catch (e) {
    const code = (e as { code?: string }).code;
    throw new Unreadable(`cannot read the ${what} \`${file}\`: ${code === 'ENOENT' ? 'no such file' : code === 'EISDIR' ? 'it is a directory' : (e as Error).message}`);
  }
}

async function readJson(file: string, what: string): Promise<unknown> {
  return parseJson(await read(file, what), file);
}

function parseJson(text: string, file: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    throw new Unreadable(`\`${file}\` is not valid JSON`);
  }
}

function usage(code: number): number {
  (code === 0 ? console.log : console.error)(USAGE);
  return code;
}
