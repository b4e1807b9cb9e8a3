import { fromHex, toHex } from '../hex.ts';
import { fromBase64, noteKeyId } from './checkpoint.ts';
import type { VerifyDeps } from './stream-verify.ts';

/**
 * Offline verification of the block log's signed checkpoints (what `kee audit verify-checkpoint`
 * runs): the C2SP signed note and tlog-checkpoint body, then optionally an RFC 9162 consistency
 * proof from an older checkpoint and an inclusion proof of one Session Block. Pure: the Merkle
 * and Ed25519 ports do the hashing and signature checks. Stops at the first failure and names it.
 */

/** What failed: the checkpoint, the older checkpoint, either proof, or the leaf (block) itself. */
export type CheckpointFailureKind = 'checkpoint' | 'previous' | 'consistency' | 'inclusion' | 'leaf';
export type CheckpointFailure = { kind: CheckpointFailureKind; message: string };

/** `GET /v1/audit/proofs/consistency` (untrusted: only `proof` is used, the rest must agree). */
export type ConsistencyProofInput = { from: number; to: number; proof: string[]; from_root?: string | undefined; to_root?: string | undefined };
/** `GET /v1/audit/proofs/inclusion` (untrusted: only `leaf_index` and `audit_path` are used, the rest must agree). */
export type InclusionProofInput = {
  leaf_index: number;
  tree_size: number;
  audit_path: string[];
  leaf_hash?: string | undefined;
  block_id?: string | undefined;
  root?: string | undefined;
};
/** The leaf: a Session Block as stored (its leaf data is the JCS of it), with the index and leaf hash a source claims for it, if any. */
export type LeafInput = { block: Record<string, unknown>; index?: number | undefined; leaf_hash?: string | undefined };

export type CheckpointCheck = {
  /** The signed note text (`GET /v1/audit/checkpoint`). */
  note: string;
  previous?: { note: string; proof: ConsistencyProofInput };
  inclusion?: { proof: InclusionProofInput; leaf: LeafInput };
};

export type CheckpointVerifyResult =
  | { ok: true; origin: string; size: number; root: string; consistency?: { from: number; to: number; from_root: string }; inclusion?: { leaf_index: number; block_id: string } }
  | { ok: false; failure: CheckpointFailure };

/** A checkpoint whose signature verified. */
export type VerifiedCheckpoint = { origin: string; size: number; root: Uint8Array };

const utf8 = new TextEncoder();
const SIGNATURE_LINE = /^\u2014 ([^\s+]+) ([A-Za-z0-9+/]+={0,2})$/;

/**
 * Opens a C2SP signed note (c2sp.org/signed-note): the text, a blank line, then signature lines
 * `— <key name> base64(key ID || signature)`. Exactly one line must be by `keyName` with the key
 * ID of `publicKey` (lines of other keys are ignored), and its Ed25519 signature must verify over
 * the text. Returns the verified text.
 */
export function openSignedNote(note: string, keyName: string, publicKey: Uint8Array, deps: VerifyDeps): { ok: true; text: string } | { ok: false; message: string } {
  const fail = (message: string) => ({ ok: false as const, message });
  const sep = note.lastIndexOf('\n\n');
  if (sep < 0) return fail('not a signed note: no blank line between the text and the signatures');
  const text = note.slice(0, sep + 1);
  const sigBlock = note.slice(sep + 2);
  // the note text is UTF-8 without control characters other than newline (c2sp.org/signed-note)
  if (/[\u0000-\u0009\u000b-\u001f\u007f\ufffd]/.test(text)) return fail('the note text holds a control character or invalid UTF-8');
  if (!sigBlock.endsWith('\n')) return fail('the signature lines do not end with a newline');
  const keyId = toHex(noteKeyId(deps.merkle, keyName, publicKey));
  const name = `\`${keyName.slice(0, 128)}\``;
  const matching: Uint8Array[] = [];
  for (const line of sigBlock.slice(0, -1).split('\n')) {
    const m = SIGNATURE_LINE.exec(line);
    const raw = m ? fromBase64(m[2] as string) : null;
    if (!m || !raw || raw.length < 5) return fail('a signature line is not `— <key name> <base64 key ID and signature>`');
    if (m[1] === keyName && toHex(raw.subarray(0, 4)) === keyId) matching.push(raw.subarray(4));
  }
  if (matching.length === 0) return fail(`no signature by key ${name} with key ID ${keyId} (the given public key)`);
  if (matching.length > 1) return fail(`key ${name} signed the note more than once`);
  const sig = matching[0] as Uint8Array;
  if (sig.length !== 64 || !deps.verifier.verify(sig, utf8.encode(text), publicKey)) {
    return fail(`the Ed25519 signature of key ${name} does not verify: the note text or the signature was altered`);
  }
  return { ok: true, text };
}

/**
 * Verifies a block-log checkpoint: a signed note by key `<origin>` (how the kernel signs it)
 * whose text is a C2SP tlog-checkpoint (c2sp.org/tlog-checkpoint): origin, decimal tree size,
 * base64 root, optional extension lines. `origin`, when given, must be the checkpoint's.
 */
export function verifyCheckpointNote(note: string, publicKey: Uint8Array, deps: VerifyDeps, origin?: string): { ok: true; checkpoint: VerifiedCheckpoint } | { ok: false; message: string } {
  const fail = (message: string) => ({ ok: false as const, message });
  const cpOrigin = note.slice(0, Math.max(0, note.indexOf('\n')));
  if (cpOrigin === '') return fail('not a tlog-checkpoint: the first line (the origin) is empty');
  if (origin !== undefined && cpOrigin !== origin) return fail(`origin is \`${cpOrigin.slice(0, 128)}\`, expected \`${origin.slice(0, 128)}\``);
  const opened = openSignedNote(note, cpOrigin, publicKey, deps);
  if (!opened.ok) return opened;
  const lines = opened.text.slice(0, -1).split('\n');
  const [, sizeText = '', rootText = ''] = lines;
  if (lines.length < 3 || lines.slice(3).some((l) => l === '')) return fail('not a tlog-checkpoint: need origin, size and root lines');
  if (!/^(0|[1-9][0-9]{0,15})$/.test(sizeText) || !Number.isSafeInteger(Number(sizeText))) return fail(`tree size \`${sizeText.slice(0, 32)}\` is not a decimal integer`);
  const root = fromBase64(rootText);
  if (!root || root.length !== 32) return fail('the root line is not 32 bytes of base64');
  return { ok: true, checkpoint: { origin: cpOrigin, size: Number(sizeText), root } };
}

/**
 * Verifies a checkpoint and, when given, a consistency proof from an older checkpoint (signed by
 * the same key, same origin) and an inclusion proof of a Session Block at the checkpoint's size.
 */
export function verifyCheckpoint(check: CheckpointCheck, deps: VerifyDeps, options: { publicKey: Uint8Array; origin?: string }): CheckpointVerifyResult {
  const fail = (kind: CheckpointFailureKind, message: string): CheckpointVerifyResult => ({ ok: false, failure: { kind, message } });
  const current = verifyCheckpointNote(check.note, options.publicKey, deps, options.origin);
  if (!current.ok) return fail('checkpoint', current.message);
  const cp = current.checkpoint;
  const result: CheckpointVerifyResult & { ok: true } = { ok: true, origin: cp.origin, size: cp.size, root: toHex(cp.root) };

  if (check.previous) {
    const older = verifyCheckpointNote(check.previous.note, options.publicKey, deps, cp.origin);
    if (!older.ok) return fail('previous', older.message);
    const failed = checkConsistency(older.checkpoint, cp, check.previous.proof, deps);
    if (failed) return fail('consistency', failed);
    result.consistency = { from: older.checkpoint.size, to: cp.size, from_root: toHex(older.checkpoint.root) };
  }

  if (check.inclusion) {
    const { proof, leaf } = check.inclusion;
    const blockId = typeof leaf.block.block_id === 'string' ? leaf.block.block_id : '';
    let data: Uint8Array;
    try {
      data = utf8.encode(deps.merkle.canonicalize(leaf.block));
    } catch {
      return fail('leaf', 'the block cannot be canonicalized as JSON');
    }
    const leafHash = toHex(deps.merkle.root([data]));
    if (leaf.leaf_hash !== undefined && leaf.leaf_hash !== leafHash) return fail('leaf', `block \`${blockId}\` hashes to ${leafHash}, not to its entry's leaf_hash ${leaf.leaf_hash.slice(0, 64)}: the block was altered`);
    if (leaf.index !== undefined && leaf.index !== proof.leaf_index) return fail('leaf', `the leaf says log index ${leaf.index}, the proof is for index ${proof.leaf_index}`);
    if (proof.block_id !== undefined && proof.block_id !== blockId) return fail('leaf', `the leaf is block \`${blockId}\`, the proof is for block \`${proof.block_id.slice(0, 64)}\``);
    if (proof.leaf_hash !== undefined && proof.leaf_hash !== leafHash) return fail('leaf', `block \`${blockId}\` hashes to ${leafHash}, the proof's leaf_hash is ${proof.leaf_hash.slice(0, 64)}: the leaf or the proof was altered`);
    const failed = checkInclusion(cp, proof, data, blockId, deps);
    if (failed) return fail('inclusion', failed);
    result.inclusion = { leaf_index: proof.leaf_index, block_id: blockId };
  }
  return result;
}

/** RFC 9162 §2.1.4.2 between two verified checkpoints; a message naming the problem, or null. */
function checkConsistency(older: VerifiedCheckpoint, newer: VerifiedCheckpoint, proof: ConsistencyProofInput, deps: VerifyDeps): string | null {
  if (older.size > newer.size) return `the older checkpoint has size ${older.size}, larger than the checkpoint's ${newer.size}`;
  if (proof.from !== older.size || proof.to !== newer.size) {
    return `the proof is from size ${proof.from} to ${proof.to}, the checkpoints have sizes ${older.size} and ${newer.size} (ask for ?from=${older.size}&to=${newer.size})`;
  }
  if (proof.from_root !== undefined && proof.from_root !== toHex(older.root)) return `the proof's from_root is not the older checkpoint's root`;
  if (proof.to_root !== undefined && proof.to_root !== toHex(newer.root)) return `the proof's to_root is not the checkpoint's root`;
  const hashes = hashList(proof.proof);
  if (typeof hashes === 'number') return `proof hash ${hashes} is not 32 bytes of lowercase hex`;
  if (!deps.merkle.verifyConsistency(older.size, newer.size, hashes, older.root, newer.root)) {
    return `the proof does not show that the tree of size ${older.size} (root ${toHex(older.root)}) is a prefix of the tree of size ${newer.size} (root ${toHex(newer.root)})`;
  }
  return null;
}

/** RFC 9162 §2.1.3.2 of one block against a verified checkpoint; a message naming the problem, or null. */
function checkInclusion(cp: VerifiedCheckpoint, proof: InclusionProofInput, leaf: Uint8Array, blockId: string, deps: VerifyDeps): string | null {
  if (proof.tree_size !== cp.size) return `the proof is for tree size ${proof.tree_size}, the checkpoint has size ${cp.size} (ask for ?size=${cp.size})`;
  if (proof.root !== undefined && proof.root !== toHex(cp.root)) return `the proof's root is not the checkpoint's root`;
  if (!Number.isSafeInteger(proof.leaf_index) || proof.leaf_index < 0 || proof.leaf_index >= cp.size) return `leaf index ${proof.leaf_index} is not within the tree of size ${cp.size}`;
  const path = hashList(proof.audit_path);
  if (typeof path === 'number') return `audit path hash ${path} is not 32 bytes of lowercase hex`;
  if (!deps.merkle.verifyInclusion(leaf, proof.leaf_index, cp.size, path, cp.root)) {
    return `block \`${blockId}\` is not included at index ${proof.leaf_index} of the tree of size ${cp.size} with the checkpoint's root: the audit path or the leaf was altered`;
  }
  return null;
}

/** The decoded hashes, or the index of the first that is not 32 bytes of lowercase hex. */
function hashList(hexes: readonly string[]): Uint8Array[] | number {
  const out: Uint8Array[] = [];
  for (const [i, h] of hexes.entries()) {
    const b = fromHex(h);
    if (!b || b.length !== 32) return i;
    out.push(b);
  }
  return out;
}
