import type { Merkle } from '../../ports/merkle.ts';
import type { SignatureVerifier } from '../../ports/signer.ts';
import { fromHex, toHex } from '../hex.ts';
import type { AuditRecord, SessionBlock } from '../types.ts';
import { blockSigningInput } from './block-signing.ts';

export type VerifyFailure = {
  /** What broke: the key, the block signature, one record's chain link or proof, or the root. */
  kind: 'public_key' | 'signature' | 'record' | 'proof' | 'root' | 'count';
  /** 0-based position of the record, when one is named. */
  index?: number;
  ale_seq?: number;
  message: string;
};

/**
 * `signers`: the FROST participants the block names as having made its signature (ascending),
 * when it names them. A threshold signature is plain Ed25519 under the group key: who took part
 * cannot be recomputed from it; the list is committed to by the block-log leaf (SHA-256 of the
 * whole block) that signed checkpoints cover (`kee audit verify-checkpoint --block`).
 */
export type VerifyResult = { ok: true; block_id: string; records: number; signers?: number[] } | { ok: false; failure: VerifyFailure };

export type VerifyDeps = { merkle: Merkle; verifier: SignatureVerifier };

export type PackageHeader = { block: SessionBlock; public_key: { algorithm: 'Ed25519'; key_id: string; public_key: string } };
export type PackageEntry = { leaf_index: number; record: AuditRecord; inclusion_proof: string[] };

const utf8 = new TextEncoder();

/** A node proven to lie on the path to the signed root, with the proof hashes above it. */
type Proven = { fn: number; hash: string; rest: string[] };

/**
 * Verifies an audit package one record at a time, in constant memory: a 1M-record package
 * streams through. Order of checks: the key and its id (and the expected key, if given), the
 * block signature over (block_id, merkle_root, block_close_timestamp); then for each record in
 * order its position, its chain link (`prev_span_hash` = SHA-256 of the JCS of the previous
 * record) and its RFC 9162 inclusion proof against the signed root; finally the record count.
 * Stops at the first failure and names it.
 *
 * Inclusion proofs are checked with a cache of nodes already proven to reach the root (one per
 * tree level): neighbouring leaves share most of their path, so a proof costs about two hashes
 * on average, and the remaining proof hashes must equal those that reached the root before.
 */
export class StreamVerifier {
  private readonly deps: VerifyDeps;
  private readonly header: PackageHeader;
  private readonly expectedPublicKey: string | undefined;
  private root: Uint8Array | null = null;
  private rootHex = '';
  private size = 0;
  private next = 0;
  private prevHash: string | null = null;
  /** Take the next record's own prev_span_hash as given (a chunk's first record: see `resume`). */
  private trustNextLink = false;
  private failure: VerifyFailure | null = null;
  private readonly proven: (Proven | undefined)[] = [];

  constructor(header: PackageHeader, deps: VerifyDeps, options: { expectedPublicKey?: string } = {}) {
    this.deps = deps;
    this.header = header;
    this.expectedPublicKey = options.expectedPublicKey;
  }

  /** Checks the key and the block signature; null when they hold. */
  begin(): VerifyFailure | null {
    const { merkle, verifier } = this.deps;
    const { block, public_key: pk } = this.header;
    const pub = fromHex(pk.public_key);
    if (!pub || pub.length !== 32) return this.fail({ kind: 'public_key', message: 'public key is not 32 bytes of lowercase hex' });
    const keyId = toHex(merkle.sha256(pub));
    if (pk.key_id !== keyId) return this.fail({ kind: 'public_key', message: `key_id \`${pk.key_id}\` is not SHA-256 of the public key` });
    if (this.expectedPublicKey !== undefined && this.expectedPublicKey.toLowerCase() !== pk.public_key) {
      return this.fail({ kind: 'public_key', message: 'the package was not signed by the expected public key' });
    }
    if (block.block_signature.public_key !== pk.public_key || block.block_signature.key_id !== keyId) {
      return this.fail({ kind: 'signature', message: 'the block names a different signing key than the package' });
    }
    const root = fromHex(block.merkle_root);
    const sig = fromHex(block.block_signature.signature);
    if (!root || root.length !== 32) return this.fail({ kind: 'root', message: 'merkle_root is not 32 bytes of lowercase hex' });
    if (!sig || sig.length !== 64 || !verifier.verify(sig, blockSigningInput(merkle, block), pub)) {
      return this.fail({ kind: 'signature', message: `block signature does not verify for block \`${block.block_id}\`` });
    }
    if (!Number.isSafeInteger(block.record_count) || block.record_count < 1) {
      return this.fail({ kind: 'count', message: `block declares ${block.record_count} records; a block holds at least one` });
    }
    const parts = block.block_signature.participants as unknown;
    if (parts !== undefined && !(Array.isArray(parts) && parts.length > 0 && parts.every((x, i) => Number.isSafeInteger(x) && x >= 1 && (i === 0 || x > (parts[i - 1] as number))))) {
      return this.fail({ kind: 'signature', message: 'block_signature.participants must be ascending distinct participant identifiers (integers >= 1)' });
    }
    this.root = root;
    this.rootHex = block.merkle_root;
    this.size = block.record_count;
    return null;
  }

  /**
   * Continues at record `index` instead of 0: for verifying one chunk of a package, or
   * re-verifying from a chunk start. `prevHash` is the hash of record `index - 1`; when it is
   * not given, the first record's own `prev_span_hash` is taken as it stands and the caller
   * must check that link (the chunk before ends with `lastHash`). Call after `begin()`.
   */
  resume(index: number, prevHash?: string | null): void {
    this.next = index;
    if (prevHash === undefined) this.trustNextLink = true;
    else this.prevHash = prevHash;
  }

  /** Records checked so far (the next record's index). */
  get position(): number {
    return this.next;
  }

  /** SHA-256 (hex) of the last record checked: the `prev_span_hash` the next one must carry. */
  get lastHash(): string | null {
    return this.prevHash;
  }

  /** Checks the next record; null when it holds. */
  push(entry: PackageEntry): VerifyFailure | null {
    if (this.failure) return this.failure;
    if (!this.root) return this.fail({ kind: 'signature', message: 'begin() was not called or failed' });
    const i = this.next++;
    const { block } = this.header;
    const r = entry.record;
    const seq = typeof r.ale_seq === 'number' ? r.ale_seq : undefined;
    const bad = (kind: 'record' | 'proof' | 'count', message: string): VerifyFailure =>
      this.fail({ kind, index: i, ...(seq === undefined ? {} : { ale_seq: seq }), message: `record ${i} (ale_seq ${String(r.ale_seq)}): ${message}` });
    if (i >= this.size) return bad('count', `block declares ${this.size} records, package holds more`);
    if (entry.leaf_index !== i) return bad('record', `leaf_index is ${entry.leaf_index}, expected ${i}`);
    if (r.ale_seq !== i + 1) return bad('record', `ale_seq out of order, expected ${i + 1}`);
    if (r.block_id !== block.block_id || r.session_id !== block.session_id) return bad('record', 'belongs to another block or session');
    if (this.trustNextLink) {
      this.trustNextLink = false;
      this.prevHash = typeof r.prev_span_hash === 'string' || r.prev_span_hash === null ? r.prev_span_hash : this.prevHash;
    }
    if (r.prev_span_hash !== this.prevHash) {
      return bad('record', i === 0 ? 'prev_span_hash of the first record must be null' : `prev_span_hash does not match record ${i - 1}`);
    }
    let canonical: Uint8Array;
    try {
      canonical = utf8.encode(this.deps.merkle.canonicalize(r));
    } catch {
      return bad('record', 'is not canonicalizable JSON');
    }
    const hash = this.deps.merkle.sha256(canonical);
    const leaf = new Uint8Array(canonical.length + 1);
    leaf.set(canonical, 1);
    if (!Array.isArray(entry.inclusion_proof) || !this.included(this.deps.merkle.sha256(leaf), i, entry.inclusion_proof)) {
      return bad('proof', 'inclusion proof does not verify against merkle_root');
    }
    this.prevHash = toHex(hash);
    return null;
  }

  /** Final check (every declared record was present) and the verdict. */
  end(): VerifyResult {
    if (this.failure) return { ok: false, failure: this.failure };
    if (!this.root) return { ok: false, failure: { kind: 'signature', message: 'begin() was not called' } };
    if (this.next !== this.size) {
      return { ok: false, failure: this.fail({ kind: 'count', message: `block declares ${this.size} records, package holds ${this.next}` }) };
    }
    const signers = this.header.block.block_signature.participants;
    return { ok: true, block_id: this.header.block.block_id, records: this.next, ...(signers ? { signers: [...signers] } : {}) };
  }

  /** RFC 9162 §2.1.3.2 inclusion verification against the signed root, with the proven-node cache. */
  private included(leafHash: Uint8Array, index: number, proof: string[]): boolean {
    let fn = index;
    let sn = this.size - 1;
    let level = 0;
    let r = leafHash;
    const path: { level: number; fn: number; hash: string; at: number }[] = [];
    const cached = (at: number): boolean | null => {
      const p = this.proven[level];
      if (!p || p.fn !== fn) return null;
      if (p.hash !== toHex(r)) return false;
      const rest = proof.slice(at);
      return rest.length === p.rest.length && rest.every((h, k) => h === p.rest[k]);
    };
    for (let at = 0; at < proof.length; at++) {
      const hit = cached(at);
      if (hit !== null) return hit && this.remember(path, proof);
      path.push({ level, fn, hash: toHex(r), at });
      if (sn === 0) return false;
      const p = fromHex(proof[at] as string);
      if (!p || p.length !== 32) return false;
      if (fn % 2 === 1 || fn === sn) {
        r = this.node(p, r);
        if (fn % 2 === 0) {
          while (fn % 2 === 0 && fn !== 0) {
            fn = Math.floor(fn / 2);
            sn = Math.floor(sn / 2);
            level++;
          }
        }
      } else {
        r = this.node(r, p);
      }
      fn = Math.floor(fn / 2);
      sn = Math.floor(sn / 2);
      level++;
    }
    return sn === 0 && toHex(r) === this.rootHex && this.remember(path, proof);
  }

  private remember(path: { level: number; fn: number; hash: string; at: number }[], proof: string[]): true {
    for (const n of path) this.proven[n.level] = { fn: n.fn, hash: n.hash, rest: proof.slice(n.at) };
    return true;
  }

  private node(left: Uint8Array, right: Uint8Array): Uint8Array {
    const buf = new Uint8Array(65);
    buf[0] = 1;
    buf.set(left, 1);
    buf.set(right, 33);
    return this.deps.merkle.sha256(buf);
  }

  private fail(f: VerifyFailure): VerifyFailure {
    this.failure ??= f;
    return this.failure;
  }
}
