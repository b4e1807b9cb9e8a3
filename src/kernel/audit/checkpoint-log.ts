import type { Clock } from '../../ports/clock.ts';
import type { Merkle } from '../../ports/merkle.ts';
import type { SignatureVerifier } from '../../ports/signer.ts';
import type { AuditStore } from '../../ports/storage.ts';
import { DomainError, isDomainError } from '../errors.ts';
import { fromHex, toHex } from '../hex.ts';
import type { Checkpoint } from './blocks.ts';
import { checkpointBody } from './checkpoint.ts';
import type { KernelJournal } from './journal.ts';

/** Document kind of the checkpoints the kernel signed (`seq` = tree size). */
export const CHECKPOINT_DOCUMENT_KIND = 'block_log_checkpoint';

/** A signed checkpoint as stored: the served form and the key that signed it. */
type StoredCheckpoint = Checkpoint & { public_key: string };

export type CheckpointLogDeps = {
  store: AuditStore;
  merkle: Merkle;
  verifier: SignatureVerifier;
  clock: Clock;
  journal: KernelJournal;
  /** Store access through the audit log (a failing store sets SUSPENDED_GAR). */
  io: <T>(op: () => Promise<T>, write: boolean) => Promise<T>;
  /** Keys (hex) a stored checkpoint may be signed by: the kernel's and those its manifest chain declares. */
  trustedKeys: () => ReadonlySet<string>;
};

const utf8 = new TextEncoder();

/**
 * The checkpoints the kernel has signed, kept in its own store, so that it never signs a block
 * log that does not extend them: before a new checkpoint is signed, the tree is proved
 * consistent (RFC 9162 §2.1.4) with the last signed one. A leaf changed, removed or reordered
 * below that checkpoint's size fails the proof; the kernel then journals
 * `BLOCK_LOG_INCONSISTENT` and refuses with AUDIT_TAMPERED, signing nothing.
 */
export class CheckpointLog {
  private readonly deps: CheckpointLogDeps;

  constructor(deps: CheckpointLogDeps) {
    this.deps = deps;
  }

  /**
   * Proves the tree of `hashes` (root `root`) consistent with the last signed checkpoint.
   * Returns that checkpoint when it already covers this very tree (nothing new to sign), null
   * when a new checkpoint may be signed; rejects with AUDIT_TAMPERED (after the anomaly record)
   * when the tree does not extend it, or the stored checkpoint does not verify.
   */
  async extends(hashes: readonly Uint8Array[], root: Uint8Array): Promise<Checkpoint | null> {
    const { store, merkle, io } = this.deps;
    const doc = await io(() => store.latestDocument(CHECKPOINT_DOCUMENT_KIND), false);
    if (!doc) return null;
    const size = hashes.length;
    const last = this.parse(doc.body, doc.seq);
    if (typeof last === 'string') return this.refuse(doc.seq, size, `the checkpoint signed at size ${doc.seq} does not verify: ${last}`);
    const oldRoot = Uint8Array.from(atob(last.root), (c) => c.charCodeAt(0));
    if (last.size > size) return this.refuse(last.size, size, `the block log holds ${size} entries, fewer than the ${last.size} of the checkpoint signed before`);
    if (last.size === size) {
      if (toHex(oldRoot) === toHex(root)) return { origin: last.origin, size: last.size, root: last.root, note: last.note };
      return this.refuse(last.size, size, `the block log root at size ${size} is not the one signed before (an entry was changed)`);
    }
    if (last.size > 0 && !merkle.verifyConsistency(last.size, size, merkle.consistencyProof(hashes, last.size), oldRoot, root)) {
      return this.refuse(last.size, size, `the block log of size ${size} is not consistent with the checkpoint signed at size ${last.size}: an entry below index ${last.size} was changed`);
    }
    return null;
  }

  /**
   * Stores a checkpoint just signed. If one of the same size is stored already (another
   * instance signed it), that one is kept and returned when it has the same root.
   */
  async record(cp: Checkpoint, publicKey: Uint8Array): Promise<Checkpoint> {
    const { store, io } = this.deps;
    if (cp.size === 0) return cp; // the empty tree: every log extends it
    const stored: StoredCheckpoint = { ...cp, public_key: toHex(publicKey) };
    const doc = { kind: CHECKPOINT_DOCUMENT_KIND, seq: cp.size, docId: cp.root, body: JSON.stringify(stored), createdAt: this.deps.clock.nowIso() };
    try {
      await io(() => store.putDocument(doc), true);
      return cp;
    } catch (e) {
      if (!isDomainError(e, 'CONFLICT')) throw e;
      const other = await io(() => store.getDocument(CHECKPOINT_DOCUMENT_KIND, cp.size), false);
      const parsed = other ? this.parse(other.body, cp.size) : 'it is missing';
      if (typeof parsed === 'string') return this.refuse(cp.size, cp.size, `the checkpoint stored at size ${cp.size} does not verify: ${parsed}`);
      if (parsed.root !== cp.root) return this.refuse(cp.size, cp.size, `the checkpoint stored at size ${cp.size} has another root`);
      return { origin: parsed.origin, size: parsed.size, root: parsed.root, note: parsed.note };
    }
  }

  /** A stored checkpoint, verified: its note is the C2SP body of its fields, signed by a trusted key. */
  private parse(body: string, seq: number): StoredCheckpoint | string {
    let cp: Partial<StoredCheckpoint>;
    try {
      cp = JSON.parse(body) as Partial<StoredCheckpoint>;
    } catch {
      return 'not JSON';
    }
    const { origin, size, root, note, public_key: pk } = cp;
    if (typeof origin !== 'string' || size !== seq || typeof root !== 'string' || typeof note !== 'string' || typeof pk !== 'string') return 'fields missing or wrong';
    let text: string;
    try {
      text = checkpointBody(origin, size, Uint8Array.from(atob(root), (c) => c.charCodeAt(0)));
    } catch {
      return 'the root is not base64';
    }
    const sigLine = note.startsWith(`${text}\n\u2014 ${origin} `) ? note.slice(text.length + origin.length + 4).trim() : null;
    const key = fromHex(pk);
    if (!sigLine || !key || key.length !== 32) return 'the note is not the signed body of its fields';
    if (!this.deps.trustedKeys().has(pk)) return 'it is signed by a key the kernel and its manifests do not declare';
    let sig: Uint8Array;
    try {
      sig = Uint8Array.from(atob(sigLine), (c) => c.charCodeAt(0));
    } catch {
      return 'the signature is not base64';
    }
    // key ID (4 bytes) || Ed25519 signature (64 bytes)
    if (sig.length !== 68 || !this.deps.verifier.verify(sig.slice(4), utf8.encode(text), key)) return 'the signature does not verify';
    return cp as StoredCheckpoint;
  }

  private async refuse(checkpointSize: number, logSize: number, detail: string): Promise<never> {
    await this.deps.journal.anomaly('BLOCK_LOG_INCONSISTENT', { checkpoint_size: checkpointSize, log_size: logSize, detail });
    throw new DomainError('AUDIT_TAMPERED', `no checkpoint is signed: ${detail}`);
  }
}
