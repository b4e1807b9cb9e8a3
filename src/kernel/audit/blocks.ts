import type { KernelDeps } from '../deps.ts';
import { DomainError, isDomainError } from '../errors.ts';
import { fromHex, toHex } from '../hex.ts';
import type { AuditRecord, Json, Session, SessionBlock } from '../types.ts';
import type { BlockLogLeaf } from '../../ports/storage.ts';
import { AUDIT_PACKAGE_FORMAT, type AuditPackage } from './audit-package.ts';
import type { AuditLog } from './audit-log.ts';
import { blockSigningInput } from './block-signing.ts';
import { findChainBreak, recordHash } from './chain.ts';
import { base64, checkpointBody, noteKeyId, signedNote } from './checkpoint.ts';
import { CheckpointLog } from './checkpoint-log.ts';
import type { KernelState } from '../state/kernel-state.ts';
import type { KernelJournal } from './journal.ts';
import type { SigningMonitor } from './signing-monitor.ts';
import { verifyPackage } from './verify-package.ts';

/**
 * How often one close claims a block-log index before it gives up with CONFLICT. Without group
 * commit (workerd) each round of racing closes lets one win, so this bounds how many closes may
 * race at once, not how long a lone close waits.
 */
const MAX_INDEX_CLAIMS = 128;

const utf8 = new TextEncoder();

export type Checkpoint = { origin: string; size: number; root: string; note: string };
/** What Session Blocks need of the GEC Manifest chain (P5): records name the epoch they were made under. */
export type ManifestChain = {
  /** Whether `lock` is the hash-lock of a stored, verified manifest. */
  inChain(lock: string): Promise<boolean>;
  /** Ed25519 keys (hex) the kernel and its verified manifests declare. */
  signingKeys(): ReadonlySet<string>;
};
export type ConsistencyProof = { from: number; to: number; from_root: string; to_root: string; proof: string[] };
/** RFC 9162 §2.1.3.1 inclusion proof of one block-log leaf (Trillian's GetInclusionProof shape); hashes in hex. */
export type InclusionProof = { leaf_index: number; tree_size: number; block_id: string; leaf_hash: string; root: string; audit_path: string[] };
/** One block-log entry as stored: the leaf hash is SHA-256(0x00 || JCS(block)). */
export type BlockLogEntry = { index: number; leaf_hash: string; block_id: string; block: SessionBlock };

/**
 * Session Blocks (P7): close = re-verify the chain, Merkle root over the JCS of every record,
 * one signature over (block_id, merkle_root, block_close_timestamp), store with the block-log
 * leaf. Every read re-verifies the stored records, root and signature with the same verifier
 * an auditor runs offline; a mismatch is reported, never served as valid. Closed blocks form an
 * append-only RFC 9162 log with C2SP signed checkpoints.
 */
export class BlockService {
  private readonly deps: KernelDeps;
  private readonly audit: AuditLog;
  private readonly journal: KernelJournal;
  private readonly state: KernelState;
  private readonly kernelId: string;
  private readonly origin: string;
  private readonly monitor: SigningMonitor;
  /** Closes are serialized: the block log index is the log size at store time. */
  private closing: Promise<unknown> = Promise.resolve();
  private checkpointCache: Checkpoint | null = null;
  /** Runs before every signature: the manifest re-verification (P5); rejects to refuse signing. */
  private readonly beforeSigning: (what: string) => Promise<void>;
  private readonly manifests: ManifestChain;
  /** The checkpoints signed so far: a new one must extend the last (RFC 9162 consistency). */
  private readonly checkpoints: CheckpointLog;

  constructor(
    deps: KernelDeps,
    audit: AuditLog,
    journal: KernelJournal,
    state: KernelState,
    kernelId: string,
    monitor: SigningMonitor,
    beforeSigning: (what: string) => Promise<void>,
    manifests: ManifestChain,
  ) {
    this.deps = deps;
    this.monitor = monitor;
    this.beforeSigning = beforeSigning;
    this.audit = audit;
    this.journal = journal;
    this.state = state;
    this.kernelId = kernelId;
    this.origin = deps.options?.logOrigin ?? `kee.local/${kernelId}`;
    this.manifests = manifests;
    this.checkpoints = new CheckpointLog({ ...deps, journal, io: (op, write) => audit.io(op, write), trustedKeys: () => manifests.signingKeys() });
  }

  /**
   * Closes a session. While signing is suspended the close waits and retries, with backoff, for
   * up to `closeRetryMs` from the call (so closes queued behind it wait no longer); then it fails
   * with SIGNER_FAILED, the session stays CLOSING and is completed in the background once
   * signing is back.
   */
  close(session: Session, retryMs: number = this.monitor.closeRetryMs, completion: Record<string, Json> = {}): Promise<SessionBlock> {
    const deadline = Date.now() + retryMs;
    // Without group commit (workerd) requests share no promises: concurrent closes race on the
    // block log index instead, and the loser retries (storeBlock rejects a reused index).
    if (this.deps.options?.groupCommit === false) return this.closeNow(session, deadline, completion);
    const run = this.closing.then(() => this.closeNow(session, deadline, completion));
    this.closing = run.catch(() => undefined);
    return run;
  }

  private async closeNow(initial: Session, deadline: number, completion: Record<string, Json>): Promise<SessionBlock> {
    const { store, merkle, signer, clock, telemetry } = this.deps;
    const session = (await this.audit.io(() => store.getSession(initial.session_id), false)) ?? initial;
    if (session.status === 'CLOSED') {
      const existing = await this.audit.io(() => store.getBlock(session.block_id), false);
      // re-closing answers the block only as every read does: re-verified, or AUDIT_TAMPERED
      if (existing) return (await this.getPackage(existing.block_id)).block;
    }
    if (session.status === 'TAMPERED') throw tampered(`session \`${session.session_id}\` is marked tampered; no block is signed over it`);
    // P5: the manifest is re-verified (in memory and in the store) before the close changes anything
    await this.beforeSigning(`sign the session block \`${session.block_id}\``);
    if (session.status === 'OPEN') await this.audit.append(session, 'SESSION_COMPLETE', completion, 'CLOSING');

    const records = await this.readRecords(session, { onBreak: 'mark' });
    await this.checkEpoch(records, session.block_id);
    return telemetry.span('soos.gar.block_close', { traceId: session.block_id }, async (span) => {
      const leaves = records.map((r) => utf8.encode(merkle.canonicalize(r)));
      const header = { block_id: session.block_id, merkle_root: toHex(merkle.root(leaves)), block_close_timestamp: clock.nowIso() };
      const signed = await this.signForClose(blockSigningInput(merkle, header), session, deadline, sessionXpid(records));
      const block: SessionBlock = {
        ...header,
        session_id: session.session_id,
        record_count: records.length,
        block_signature: {
          algorithm: 'Ed25519',
          key_id: this.kernelId,
          public_key: toHex(signer.publicKey()),
          signature: toHex(signed.signature),
          // FROST: which t of the n signers made it (Appendix A step 9); committed to by the block-log leaf
          ...(signed.participants ? { participants: signed.participants } : {}),
        },
      };
      const leafHash = toHex(merkle.root([utf8.encode(merkle.canonicalize(block))]));
      for (let attempt = 1; ; attempt++) {
        const index = await this.audit.io(() => store.blockLogSize(), false);
        try {
          await this.audit.io(() => store.storeBlock(block, { index, blockId: block.block_id, leafHash }), true);
          break;
        } catch (e) {
          if (!isDomainError(e, 'CONFLICT') || attempt >= MAX_INDEX_CLAIMS) throw e;
          // another close took the index, or the same session was closed concurrently
          const existing = await this.audit.io(() => store.getBlock(block.block_id), false);
          if (existing) return existing;
          // each round one of the racing closes wins an index: back off a little (jittered) and claim the next
          await new Promise((resolve) => setTimeout(resolve, Math.random() * Math.min(attempt, 10)));
        }
      }
      span.setAttributes({
        'soos.gar.block_id': block.block_id,
        'soos.gar.event_merkle_root': block.merkle_root,
        'soos.gar.block_signature': block.block_signature.signature,
        'soos.governance.session_id': block.session_id,
        'soos.governance.xpid': sessionXpid(records),
      });
      return block;
    });
  }

  async getBlock(blockId: string): Promise<SessionBlock> {
    return (await this.getPackage(blockId)).block;
  }

  /** The audit package of a closed block, verified exactly as `kee audit verify` would before it is served. */
  async getPackage(blockId: string): Promise<AuditPackage> {
    const { store, merkle, verifier } = this.deps;
    const block = await this.audit.io(() => store.getBlock(blockId), false);
    if (!block) throw new DomainError('BLOCK_NOT_FOUND', `no session block \`${blockId}\``);
    const session = await this.audit.io(() => store.getSession(block.session_id), false);
    if (!session) throw tampered(`session \`${block.session_id}\` of block \`${blockId}\` is missing`);
    const records = await this.readRecords(session, { onBreak: 'report' });
    // the chain is whole (readRecords); a count that differs from the block's is records cut off
    // the end, or added after it: named here, before the proofs fail on the tree's size
    if (records.length !== block.record_count) {
      const n = block.record_count;
      const m = records.length;
      const which = m < n ? `ale_seq ${m + 1} to ${n} are missing` : `ale_seq ${n + 1} to ${m} are not in the block`;
      await this.journal.anomaly('AUDIT_READ_VERIFICATION_FAILED', { tampered_block_id: blockId, failure_kind: 'count', detail: which });
      throw tampered(`block \`${blockId}\` declares ${n} records, the store holds ${m}: ${which}`);
    }
    const { proofs } = merkle.rootAndProofs(records.map((r) => utf8.encode(merkle.canonicalize(r))));
    const pkg: AuditPackage = {
      format: AUDIT_PACKAGE_FORMAT,
      block,
      public_key: { algorithm: 'Ed25519', key_id: block.block_signature.key_id, public_key: block.block_signature.public_key },
      records: records.map((record, i) => ({ leaf_index: i, record, inclusion_proof: (proofs[i] ?? []).map(toHex) })),
    };
    const result = verifyPackage(pkg, { merkle, verifier });
    if (!result.ok) {
      await this.journal.anomaly('AUDIT_READ_VERIFICATION_FAILED', { tampered_block_id: blockId, failure_kind: result.failure.kind, detail: result.failure.message });
      throw tampered(`block \`${blockId}\` failed verification: ${result.failure.message}`);
    }
    await this.checkEpoch(records, blockId);
    return pkg;
  }

  /**
   * P5 both ways: the manifest a session's SESSION_OPEN names (`manifest_hash`) must be one of
   * the stored, verified chain. Records from before the field existed, and sessions opened
   * before a store's first manifest (null), name none.
   */
  private async checkEpoch(records: readonly AuditRecord[], blockId: string): Promise<void> {
    const named = records[0]?.manifest_hash;
    if (typeof named !== 'string' || (await this.manifests.inChain(named))) return;
    const detail = `record 0 (SESSION_OPEN) names manifest ${named}, which the stored manifest chain does not hold`;
    await this.journal.anomaly('AUDIT_READ_VERIFICATION_FAILED', { tampered_block_id: blockId, failure_kind: 'manifest', detail });
    throw tampered(`block \`${blockId}\`: ${detail}`);
  }

  /** A C2SP signed checkpoint of the block log (cached per tree size). */
  async checkpoint(): Promise<Checkpoint> {
    const { store, merkle, signer } = this.deps;
    const size = await this.audit.io(() => store.blockLogSize(), false);
    if (this.checkpointCache?.size === size) return this.checkpointCache;
    await this.beforeSigning('sign a block log checkpoint');
    const hashes = await this.logHashes(size);
    const root = merkle.rootFromLeafHashes(hashes);
    // never sign a log that does not extend the last checkpoint signed (AUDIT_TAMPERED otherwise)
    const signedBefore = await this.checkpoints.extends(hashes, root);
    if (signedBefore) return (this.checkpointCache = signedBefore);
    const body = checkpointBody(this.origin, size, root);
    const { signature } = await this.sign(utf8.encode(body), undefined);
    const note = signedNote(body, this.origin, noteKeyId(merkle, this.origin, signer.publicKey()), signature);
    const cp = await this.checkpoints.record({ origin: this.origin, size, root: base64(root), note }, signer.publicKey());
    this.checkpointCache = cp;
    return cp;
  }

  async consistency(from: number, to: number): Promise<ConsistencyProof> {
    const { store, merkle } = this.deps;
    const size = await this.audit.io(() => store.blockLogSize(), false);
    if (!(Number.isSafeInteger(from) && Number.isSafeInteger(to) && from >= 0 && from <= to && to <= size)) {
      throw new DomainError('INVALID_INPUT', `need 0 <= from <= to <= ${size} (the block log size), got from=${from} to=${to}`);
    }
    const hashes = await this.logHashes(to);
    return {
      from,
      to,
      from_root: toHex(merkle.rootFromLeafHashes(hashes.slice(0, from))),
      to_root: toHex(merkle.rootFromLeafHashes(hashes)),
      proof: merkle.consistencyProof(hashes, from).map(toHex),
    };
  }

  /** Where a block sits in the block log. */
  async logIndex(blockId: string): Promise<number | null> {
    return (await this.audit.io(() => this.deps.store.blockLogLeaf(blockId), false))?.index ?? null;
  }

  /**
   * Inclusion proof of a block-log leaf, named by index or by block id, in the tree of `size`
   * leaves (default: the whole log), with the root at that size: what a checkpoint of that
   * size signs.
   */
  async inclusion(leaf: { index: number } | { blockId: string }, size?: number): Promise<InclusionProof> {
    const { store, merkle } = this.deps;
    const logSize = await this.audit.io(() => store.blockLogSize(), false);
    let index: number;
    if ('blockId' in leaf) {
      const found = await this.audit.io(() => store.blockLogLeaf(leaf.blockId), false);
      if (!found) throw new DomainError('BLOCK_NOT_FOUND', `no session block \`${leaf.blockId}\` in the block log`);
      index = found.index;
    } else index = leaf.index;
    const treeSize = size ?? logSize;
    if (!(Number.isSafeInteger(treeSize) && treeSize >= 1 && treeSize <= logSize)) {
      throw new DomainError('INVALID_INPUT', `need 1 <= size <= ${logSize} (the block log size), got size=${treeSize}`);
    }
    if (!(Number.isSafeInteger(index) && index >= 0 && index < treeSize)) {
      throw new DomainError('INVALID_INPUT', `leaf index ${index} is not within the tree of size ${treeSize}`);
    }
    const leaves = await this.logLeaves(treeSize);
    const hashes = leaves.map((l) => fromHex(l.leafHash) ?? new Uint8Array(0));
    const entry = leaves[index] as BlockLogLeaf;
    return {
      leaf_index: index,
      tree_size: treeSize,
      block_id: entry.blockId,
      leaf_hash: entry.leafHash,
      root: toHex(merkle.rootFromLeafHashes(hashes)),
      audit_path: merkle.inclusionProof(hashes, index).map(toHex),
    };
  }

  /**
   * The block-log entry at `index`: its leaf hash, and the Session Block it commits to, verified
   * as every block read is (records, root, signature) and checked to hash to the leaf.
   */
  async logEntry(index: number): Promise<BlockLogEntry> {
    const { store, merkle } = this.deps;
    const size = await this.audit.io(() => store.blockLogSize(), false);
    if (!(Number.isSafeInteger(index) && index >= 0 && index < size)) {
      throw new DomainError('NOT_FOUND', `no block log entry at index ${index}: the log holds ${size}`);
    }
    const [leaf] = await this.audit.io(() => store.blockLogLeaves(index, index + 1), false);
    if (!leaf || leaf.index !== index) throw tampered('the block log has gaps');
    const block = await this.getBlock(leaf.blockId).catch((e: unknown) => {
      throw isDomainError(e, 'BLOCK_NOT_FOUND') ? tampered(`block log entry ${index} names block \`${leaf.blockId}\`, which is missing`) : e;
    });
    const hash = toHex(merkle.root([utf8.encode(merkle.canonicalize(block))]));
    if (hash !== leaf.leafHash) {
      const detail = `block \`${leaf.blockId}\` hashes to ${hash}, block log leaf ${index} is ${leaf.leafHash}`;
      await this.journal.anomaly('AUDIT_READ_VERIFICATION_FAILED', { block_id: leaf.blockId, failure_kind: 'log_leaf', detail });
      throw tampered(detail);
    }
    return { index, leaf_hash: leaf.leafHash, block_id: leaf.blockId, block };
  }

  /** The first `size` block-log leaves, checked to have no gaps. */
  private async logLeaves(size: number): Promise<BlockLogLeaf[]> {
    const leaves = await this.audit.io(() => this.deps.store.blockLogLeaves(0, size), false);
    if (leaves.length !== size || leaves.some((l, i) => l.index !== i)) throw tampered('the block log has gaps');
    return leaves;
  }

  private async logHashes(size: number): Promise<Uint8Array[]> {
    const leaves = await this.audit.io(() => this.deps.store.blockLogLeaves(0, size), false);
    if (leaves.length !== size || leaves.some((l, i) => l.index !== i)) throw tampered('the block log has gaps');
    return leaves.map((l) => fromHex(l.leafHash) ?? new Uint8Array(0));
  }

  /**
   * A session's records, parsed and checked: the chain links, and each stored hash against the
   * canonical text. On a break, close marks the session TAMPERED and records an anomaly
   * (`OTEL_SPAN_CHAIN_GAP`); a read reports it.
   */
  async readRecords(session: Session, options: { onBreak: 'mark' | 'report' }): Promise<AuditRecord[]> {
    const { store, merkle } = this.deps;
    const stored = await this.audit.io(() => store.listRecords(session.session_id), false);
    const records: AuditRecord[] = [];
    let problem: string | null = null;
    for (const [i, s] of stored.entries()) {
      let rec: AuditRecord;
      try {
        rec = JSON.parse(s.canonical) as AuditRecord;
      } catch {
        problem = `record ${i} is not valid JSON`;
        break;
      }
      if (recordHash(merkle, s.canonical) !== s.hash) {
        problem = `record ${i} (ale_seq ${s.aleSeq}): stored hash does not match its content`;
        break;
      }
      records.push(rec);
    }
    if (!problem) {
      const broken = findChainBreak(merkle, records, session);
      if (broken) problem = `record ${broken.index}: ${broken.reason}`;
    }
    if (!problem) return records;
    if (options.onBreak === 'mark') {
      await this.audit.io(() => store.setSessionStatus(session.session_id, 'TAMPERED'), true);
      await this.journal.anomaly('OTEL_SPAN_CHAIN_GAP', { tampered_session_id: session.session_id, tampered_block_id: session.block_id, detail: problem });
    }
    throw tampered(`audit chain of session \`${session.session_id}\` is broken at ${problem}`);
  }

  /** `soos.kia.sign` attributes (digest 2.2): the KIA key id and, for FROST, the threshold config. */
  private signAttributes(): Record<string, string> {
    const d = this.deps.signer.describe();
    return {
      'soos.governance.kia_key_id': this.kernelId,
      ...(d.scheme === 'frost' ? { 'soos.governance.frost_threshold_config': d.deployment_constraint } : {}),
    };
  }

  /** Signs a block, retrying with backoff until `deadline` while signing is suspended. */
  private async signForClose(message: Uint8Array, session: Session, deadline: number, xpid: string | undefined): Promise<Signed> {
    for (let delay = 250; ; delay = Math.min(2 * delay, 4_000)) {
      try {
        return await this.sign(message, session.block_id, xpid);
      } catch (e) {
        const left = deadline - Date.now();
        if (!isDomainError(e, 'SIGNER_FAILED') || left <= 0) {
          if (isDomainError(e, 'SIGNER_FAILED')) this.monitor.leftClosing(session.session_id);
          throw e;
        }
        await this.monitor.waitForRecovery(Math.min(delay, left));
      }
    }
  }

  /** Signs `message` (span `soos.kia.sign`); a threshold signer also says which participants signed. */
  private async sign(message: Uint8Array, traceId: string | undefined, xpid?: string): Promise<Signed> {
    // signing stops while the manifest cannot be verified (it may have failed since the close began)
    if (this.state.has('MANIFEST_INTEGRITY_FAILURE')) {
      throw new DomainError('MANIFEST_INTEGRITY_FAILURE', 'the kernel is in MANIFEST_INTEGRITY_FAILURE: nothing is signed');
    }
    return this.deps.telemetry.span(
      'soos.kia.sign',
      { ...(traceId ? { traceId } : {}), attributes: { ...this.signAttributes(), ...(xpid ? { 'soos.governance.xpid': xpid } : {}) } },
      async (span) => {
        try {
          const { signer } = this.deps;
          const signed: Signed = signer.signWithQuorum ? await signer.signWithQuorum(message) : { signature: await signer.sign(message) };
          if (signed.participants) span.setAttributes({ 'soos.kia.frost_participants': signed.participants.join(',') });
          await this.monitor.succeeded();
          return signed;
        } catch (e) {
          const err = isDomainError(e) ? e : new DomainError('SIGNER_FAILED', 'the kernel could not sign', { cause: e });
          // no single-signer fallback: signing is suspended until a signature succeeds again
          await this.monitor.failed(err);
          throw err;
        }
      },
    );
  }
}

/** A signature, and for a threshold signer the participants whose shares it aggregates. */
type Signed = { signature: Uint8Array; participants?: number[] };

function tampered(message: string): DomainError {
  return new DomainError('AUDIT_TAMPERED', message);
}

/** The session agent's XPID, as its SESSION_OPEN record names it (sessions opened before records carried it: none). */
function sessionXpid(records: readonly AuditRecord[]): string | undefined {
  const xpid = (records[0] as Record<string, unknown> | undefined)?.xpid;
  return typeof xpid === 'string' ? xpid : undefined;
}
