import type { ActivePolicySet } from '../../ports/policy.ts';
import type { Clock } from '../../ports/clock.ts';
import type { Merkle } from '../../ports/merkle.ts';
import type { SignatureVerifier, Signer } from '../../ports/signer.ts';
import type { AuditStore, StoredDocument } from '../../ports/storage.ts';
import type { KernelJournal } from '../audit/journal.ts';
import { documentRange, DOCUMENT_PAGE } from '../documents/read-range.ts';
import { DomainError, isDomainError } from '../errors.ts';
import { fromHex, toHex } from '../hex.ts';
import { canonicalJson } from '../jcs.ts';
import type { KernelState } from '../state/kernel-state.ts';
import {
  CAPABILITY_FLAGS,
  MANIFEST_DOCUMENT_KIND,
  MANIFEST_VERSION,
  SOOS_CONFORMANCE_VERSION,
  XPID_DERIVATION_VERSION,
  manifestBody,
  type ConformanceLevel,
  type GecManifest,
  type ManifestBody,
} from './manifest.ts';
import { manifestLock, verifyManifestText } from './verify-manifest.ts';
import type { TeeAttestationEntry } from '../attestation/evidence.ts';
import { computeConformance, unmet, type ConformanceFacts, type ConformanceRequirement, type StoreKind } from '../conformance/level.ts';

const LEVEL_RANK: Record<ConformanceLevel, number> = { 'KEE1-L1': 1, 'KEE1-L2': 2, 'KEE1-L3': 3 };

/** What an entry (composition root) declares about the running build; the rest comes from the ports. */
export type ManifestInputs = {
  /** Kernel software version (semver). */
  kernelVersion: string;
  /**
   * A level the operator requires: the computed level must reach it, else no manifest is issued
   * (INVALID_INPUT naming the unmet requirements). The level itself is always computed.
   */
  conformanceLevel?: ConformanceLevel;
  /** What the level is computed from besides the attestations: the store and how the key is held (default: `other` store, signer from its description). */
  deployment?: { store: StoreKind; signer?: ConformanceFacts['signer'] };
  /** Fresh TEE evidence from each signer sidecar, verified: called for every epoch (start and each policy activation). */
  attest?: () => Promise<TeeAttestationEntry[]>;
  /** Hook for requirements checked elsewhere (P3, P8 …): listed beside the level, and L2 needs them met. */
  requirements?: () => readonly ConformanceRequirement[];
  /** Module file name -> SHA-256 (hex) of the WASM bytes the entry loaded. */
  wasmModules: Record<string, string>;
  /** The kernel's credential token keys: RFC 7638 `kid` and raw 32-byte Ed25519 key (hex). */
  tokenKeys?: readonly { kid: string; public_key: string }[];
  /** Raw 32-byte Ed25519 publisher keys (hex), once configured. */
  publisherKeys?: readonly string[];
  /** The `xpid_derivation_version` of the agent XPIDs the kernel derives (default `none`). */
  xpidDerivationVersion?: string;
  /** `KEE_AUTH`: whether agents authenticate (`agents`) or not (`none`). */
  agentAuthentication?: 'agents' | 'none';
};

/** The policy set a manifest epoch declares: the active set plus its CAP Profile version and hash. */
export type PolicyEpoch = ActivePolicySet & { version: number; capProfileHash?: string };

export type ManifestServiceDeps = {
  store: AuditStore;
  /** The serving policy set's description, read at each check (it changes with every hot swap). */
  livePolicy: () => ActivePolicySet;
  signer: Signer;
  verifier: SignatureVerifier;
  merkle: Merkle;
  clock: Clock;
  state: KernelState;
  journal: KernelJournal;
  kernelId: string;
  inputs: ManifestInputs;
  /** Store access through the audit log (a failing store sets SUSPENDED_GAR). */
  io: <T>(op: () => Promise<T>, write: boolean) => Promise<T>;
  /** Longest time between two full re-verifications on the authorization path (ms). */
  recheckMs: number;
  /** Why the deployment is non-conformant while it serves `policy` (a development switch), or null. */
  nonconformance?: (policy: PolicyEpoch) => string | null;
  /**
   * A start reuses the latest stored epoch, instead of issuing the next, while it is younger than
   * this (ms) and declares exactly what the running kernel would (see `issue`); 0 or absent: never.
   */
  reuseForMs?: number;
  /** Whether the revocation registry, as loaded, revokes manifest `manifestId` (a revoked epoch is never reused). */
  revoked?: (manifestId: string) => boolean;
};

/** An issued manifest and what was fixed when it was signed. */
type Issued = { manifest: GecManifest; lock: string; signatureText: string };

const utf8 = new TextEncoder();
const MIF = 'MANIFEST_INTEGRITY_FAILURE';
/** Largest newest block whose records a start reads to check the epoch it was made under. */
const START_CHECK_MAX_RECORDS = 10_000;

/**
 * P5: issues the GEC Manifest (at start, and one per policy epoch), stores it before it is
 * served, and re-verifies it on every access. Any mismatch puts the kernel in
 * MANIFEST_INTEGRITY_FAILURE (every authorization DENY, no signature of any kind, a
 * KERNEL_AUDIT_ANOMALY record); there is no automatic recovery, a restart re-issues after
 * verifying the whole stored chain (`verifyStore`).
 *
 * What "every access" costs. A full check is a TypeScript JCS of the manifest plus a SHA-256,
 * tens of microseconds: at the ≥ 20k decisions/s the kernel aims for that alone would be a large
 * share of a decision's budget. So:
 * - every decision checks, by one string comparison, that the live engine's `cedar_policy_hash`
 *   is the manifest's (the property decisions depend on: the set that decides is the set
 *   declared), and runs the full re-verification, with one read of the stored copy, when the
 *   last one is older than `recheckMs` (default 250 ms, so a tamper in memory or in the store is
 *   caught within that window, while the cost is amortized over thousands of decisions);
 * - every manifest read (`current()`, `GET /v1/manifest`) and every signature (block close,
 *   checkpoint, next epoch) runs the full re-verification first; HTTP reads and block closes also
 *   compare the stored copy with the issued one.
 */
export class ManifestService {
  private readonly deps: ManifestServiceDeps;
  private issued: Issued | null = null;
  /** Highest epoch stored by this instance (a prepared epoch may never be committed). */
  private lastEpoch = 0;
  /** The verified stored chain: hash-lock -> epoch, and the highest epoch verified. */
  private readonly chain = new Map<string, number>();
  private top: { epoch: number; lock: string } | null = null;
  /** The manifest of `top`, as verified or issued. */
  private topManifest: GecManifest | null = null;
  /** Signing keys (hex) the verified chain declares. */
  private readonly keys = new Set<string>();
  private lastFullCheck = 0;
  /** `verifyStore` has just read the chain to its latest epoch: the start's `issue` need not read it again. */
  private verifiedForIssue = false;

  constructor(deps: ManifestServiceDeps) {
    this.deps = deps;
  }

  /**
   * Verifies the stored manifest chain at start, before anything is served (and before the
   * stored CAP Profile is restored): every epoch 1..N is present, verifies (canonical form,
   * fingerprint, signature, epoch and id) and names in `previous_manifest_hash` the hash-lock of
   * an earlier epoch (null for epoch 1). A store that holds audit data (sessions or a block log)
   * but no manifest has lost its chain: deleting the manifests must not clear a failure; nor may
   * deleting the latest epochs, so the manifest the newest Session Block was made under must be
   * in the chain. Each puts the kernel in MANIFEST_INTEGRITY_FAILURE (rejects with that code); a
   * failing store rejects with GAR_UNAVAILABLE.
   */
  async verifyStore(): Promise<void> {
    // the newest Session Block is read beside the chain (its reads do not depend on the chain:
    // up to four round trips fewer one after another at start); used only once the chain verifies
    const newest = this.newestBlockEpoch();
    newest.catch(() => undefined);
    const problem = await this.extendChain('at start');
    if (problem !== null) return this.fail(problem);
    this.verifiedForIssue = true;
    if (this.top === null) {
      const held = await this.auditDataHeld();
      if (held !== null) return this.fail(`the store holds ${held} but no GEC Manifest: the manifest chain that reaches them was removed`);
      return;
    }
    const named = await newest;
    if (named === null || this.chain.has(named.lock)) return;
    // read together, the block may be newer than the chain read (another instance stored an
    // epoch and sealed a block under it meanwhile): the chain is read on before it is judged
    const later = await this.extendChain('at start');
    if (later !== null) return this.fail(later);
    if (!this.chain.has(named.lock)) {
      return this.fail(`the newest Session Block \`${named.blockId}\` was made under manifest ${named.lock}, which the stored manifest chain does not hold`);
    }
  }

  /**
   * Issues the manifest at kernel start: epoch 1 on a fresh store; otherwise the stored chain is
   * verified (see `verifyStore`) and the next epoch chains to the latest, unless the latest can
   * be reused (`reusable`): then it is the manifest in force, and the chain does not grow by an
   * epoch per start. A stored manifest that fails verification puts the kernel in
   * MANIFEST_INTEGRITY_FAILURE and nothing is issued (rejects with that code).
   */
  async issue(policy?: PolicyEpoch): Promise<GecManifest> {
    const epochInfo = policy ?? { ...this.deps.livePolicy(), version: 0 };
    for (let attempt = 1; ; attempt++) {
      // right after `verifyStore` the chain was just read to its latest epoch (one round trip
      // less at start); an epoch another instance stores meanwhile makes the write a CONFLICT,
      // and the next attempt reads the chain again
      const problem = attempt === 1 && this.verifiedForIssue ? null : await this.extendChain('at start');
      this.verifiedForIssue = false;
      if (problem !== null) return this.fail(problem);
      const previous = this.top;
      const reused = attempt === 1 ? await this.reusable(epochInfo) : null;
      if (reused !== null) {
        this.issued = reused;
        this.lastFullCheck = Date.now();
        return reused.manifest;
      }
      try {
        const next = await this.build(epochInfo, (previous?.epoch ?? 0) + 1, previous?.lock ?? null);
        this.issued = next;
        this.lastFullCheck = Date.now();
        return next.manifest;
      } catch (e) {
        // another instance on the same store took the epoch: verify its manifest and chain to it
        if (!isDomainError(e, 'CONFLICT') || attempt >= 4) throw e;
      }
    }
  }

  /**
   * The hash-lock of the manifest in force, which a new session's SESSION_OPEN names: the
   * issued one, or during start the latest verified stored one; null only on a store that has
   * never held a manifest.
   */
  inForce(): string | null {
    return this.issued?.lock ?? this.top?.lock ?? null;
  }

  /**
   * Whether `lock` is the hash-lock of a manifest of the stored chain (records name the epoch
   * they were made under). Epochs stored since the last look (another instance, a later
   * activation) are verified and joined to the chain first; one that fails enters
   * MANIFEST_INTEGRITY_FAILURE, and so does a lock the chain does not hold (false).
   */
  async inChain(lock: string): Promise<boolean> {
    if (this.chain.has(lock)) return true;
    const problem = await this.extendChain('on read');
    if (problem !== null) await this.fail(problem);
    if (this.chain.has(lock)) return true;
    // records made under a manifest the store no longer holds: the chain was cut (fail closed)
    await this.fail(`audit records name manifest ${lock}, which the stored manifest chain does not hold`).catch(() => undefined);
    return false;
  }

  /**
   * The latest stored epoch as the start's manifest, when issuing the next would sign the same
   * declaration again: it was verified with the chain just now (canonical form, fingerprint,
   * signature, link), it is younger than `reuseForMs`, and the body the running inputs compose
   * (signing key, policy set and CAP Profile, publisher and token keys, WASM hashes, kernel
   * version, conformance level and unmet requirements, auth mode …) is, but for the fields each
   * issue sets (`manifest_id`, `issued_at`, `attestation_timestamp`), byte for byte its body, so
   * the lock recomputed here is the one verified; and it is not revoked (GEC_MANIFEST). Never with TEE attestation (each epoch carries
   * fresh evidence) nor a FROST signer (the start's signature is what shows the quorum holds).
   */
  private async reusable(policy: PolicyEpoch): Promise<Issued | null> {
    const { reuseForMs, inputs, signer, clock, merkle } = this.deps;
    const stored = this.topManifest;
    const top = this.top;
    if (!stored || !top || !reuseForMs || inputs.attest || signer.describe().scheme !== 'ed25519') return null;
    const age = Date.parse(clock.nowIso()) - Date.parse(stored.issued_at);
    if (!(age >= 0 && age < reuseForMs) || this.deps.revoked?.(stored.manifest_id)) return null;
    const { body } = await this.compose(policy, stored.epoch, stored.previous_manifest_hash);
    const canonicalBody = canonicalJson({ ...body, manifest_id: stored.manifest_id, issued_at: stored.issued_at, attestation_timestamp: stored.attestation_timestamp });
    if (canonicalBody !== canonicalJson(manifestBody(stored))) return null;
    const lock = manifestLock(merkle, canonicalBody);
    if (lock !== top.lock) return null;
    const own = JSON.parse(canonicalJson(stored)) as GecManifest;
    return { manifest: own, lock, signatureText: canonicalJson(own.manifest_signature) };
  }

  /** Id, epoch, `issued_at` and unmet requirements of the manifest this instance issued last (in force), or null before the first. */
  issuedFacts(): { manifest_id: string; epoch: number; issued_at: string; unmet: readonly string[] } | null {
    const m = this.issued?.manifest;
    return m ? { manifest_id: m.manifest_id, epoch: m.epoch, issued_at: m.issued_at, unmet: (m.conformance_unmet ?? []).map((u) => u.requirement) } : null;
  }

  /** The conformance level of the manifest in force and the requirements it misses (for /healthz), or null before the first. */
  conformance(): { level: ConformanceLevel; unmet: NonNullable<ManifestBody['conformance_unmet']> } | null {
    const m = this.issued?.manifest;
    return m ? { level: m.conformance_level, unmet: (m.conformance_unmet ?? []).map((u) => ({ ...u })) } : null;
  }

  /** The Ed25519 public keys (hex) the verified manifest chain declares, and the kernel's own. */
  signingKeys(): ReadonlySet<string> {
    return new Set([...this.keys, toHex(this.deps.signer.publicKey())]);
  }

  /**
   * Verifies and joins the stored epochs after the highest one verified so far; returns the
   * first problem, or null. An epoch may chain to any earlier one: a prepared epoch whose
   * activation was abandoned stays stored, and the next epoch chains to the manifest in force.
   */
  private async extendChain(when: string): Promise<string | null> {
    const { store, io } = this.deps;
    const from = (this.top?.epoch ?? 0) + 1;
    // the whole chain is read a page per query, not an epoch per query; at start (nothing
    // verified yet) its first page is read together with the latest epoch, in one round trip
    const [latest, first] = await Promise.all([
      io(() => store.latestDocument(MANIFEST_DOCUMENT_KIND), false),
      this.top === null ? io(() => store.listDocuments(MANIFEST_DOCUMENT_KIND, from, DOCUMENT_PAGE), false) : undefined,
    ]);
    if (!latest) return this.top === null ? null : `stored manifests are missing: the store holds none, epoch ${this.top.epoch} was verified`;
    if (this.top !== null && latest.seq < this.top.epoch) return `stored manifests are missing: the latest is epoch ${latest.seq}, epoch ${this.top.epoch} was verified`;
    for await (const { seq: epoch, doc } of documentRange({ store, io }, MANIFEST_DOCUMENT_KIND, from, latest, first)) {
      if (!doc) return `stored manifest of epoch ${epoch} is missing (the chain runs to epoch ${latest.seq})`;
      const check = this.verifyStored(doc);
      if (!check.ok) return `stored manifest of epoch ${epoch} failed verification ${when}: ${check.reason}`;
      const previous = check.manifest.previous_manifest_hash;
      const linked = epoch === 1 ? previous === null : typeof previous === 'string' && (this.chain.get(previous) ?? epoch) < epoch;
      if (!linked) return `stored manifest of epoch ${epoch} failed verification ${when}: \`previous_manifest_hash\` is not the hash-lock of an earlier epoch`;
      this.chain.set(check.lock, epoch);
      this.keys.add(check.manifest.signing_config.public_key);
      this.top = { epoch, lock: check.lock };
      this.topManifest = check.manifest;
    }
    return null;
  }

  /**
   * The manifest the newest Session Block's session was opened under (its SESSION_OPEN
   * `manifest_hash`), so that a start notices the latest epochs cut off the chain. Null when
   * there is no block, the record names none, or the block is too large to read at start (the
   * block's own reads and closes check it then). A record that does not parse is left to the
   * block's verification on read.
   */
  private async newestBlockEpoch(): Promise<{ blockId: string; lock: string } | null> {
    const { store, io } = this.deps;
    const size = await io(() => store.blockLogSize(), false);
    const leaf = size > 0 ? (await io(() => store.blockLogLeaves(size - 1, size), false))[0] : undefined;
    const block = leaf ? await io(() => store.getBlock(leaf.blockId), false) : null;
    if (!block || block.record_count > START_CHECK_MAX_RECORDS) return null;
    const first = (await io(() => store.listRecords(block.session_id), false))[0];
    let named: unknown;
    try {
      named = first ? (JSON.parse(first.canonical) as { manifest_hash?: unknown }).manifest_hash : undefined;
    } catch {
      return null;
    }
    return typeof named === 'string' ? { blockId: block.block_id, lock: named } : null;
  }

  /** What audit data the store holds ("sessions", "a block log"), or null when it holds none. */
  private async auditDataHeld(): Promise<string | null> {
    const { store, io } = this.deps;
    if ((await io(() => store.blockLogSize(), false)) > 0) return 'a block log';
    for (const status of ['OPEN', 'CLOSING', 'CLOSED', 'TAMPERED'] as const) {
      if ((await io(() => store.sessionsWithStatus(status, 1), false)).length > 0) return 'audit sessions';
    }
    return null;
  }

  /**
   * Prepares the next epoch for a policy activation: builds, signs and stores its manifest while
   * the current one stays in force. The returned commit makes it current, synchronously; run it
   * in the same tick as the policy swap, so the live set and the served manifest never disagree
   * (choice 5.6). Rejects (and the current manifest stays) when the kernel is in
   * MANIFEST_INTEGRITY_FAILURE, the current manifest fails re-verification, or signing or the
   * store fail.
   */
  async prepareEpoch(next: PolicyEpoch): Promise<() => void> {
    const base = await this.verified('prepare the next manifest epoch');
    for (let attempt = 1; ; attempt++) {
      // other instances on the same store (a policy cluster) add epochs too: verify theirs and chain to the latest
      const problem = await this.extendChain('before the next epoch');
      if (problem !== null) return this.fail(problem);
      const previous = this.top ?? { epoch: base.manifest.epoch, lock: base.lock };
      try {
        const prepared = await this.build(next, Math.max(previous.epoch, base.manifest.epoch, this.lastEpoch) + 1, previous.lock);
        return () => {
          this.issued = prepared;
          this.lastFullCheck = Date.now();
        };
      } catch (e) {
        // another instance took the epoch between the read and the write: verify its manifest and chain to it
        if (!isDomainError(e, 'CONFLICT') || attempt >= 4) throw e;
      }
    }
  }

  /**
   * The current manifest, after a full re-verification (in memory: lock, signature, live policy
   * hash). Rejects with MANIFEST_INTEGRITY_FAILURE while that condition holds.
   */
  async current(): Promise<GecManifest> {
    return (await this.verified('read the manifest')).manifest;
  }

  /**
   * The current manifest as served (its JCS text), after a full re-verification that also
   * compares the stored copy with the issued one.
   */
  async read(): Promise<string> {
    const issued = await this.verified('serve the manifest');
    await this.compareStored(issued);
    return canonicalJson(issued.manifest);
  }

  /** Before any kernel signature (block close, checkpoint): full re-verification including the stored copy. */
  async beforeSigning(what: string): Promise<void> {
    await this.compareStored(await this.verified(what));
  }

  /**
   * The per-decision check, on the authorization hot path: the live policy hash equals the
   * manifest's, and a full re-verification (in memory and of the stored copy) when the last is
   * older than `recheckMs`. Returns
   * undefined when all is well (no extra await); on a mismatch the kernel is already in
   * MANIFEST_INTEGRITY_FAILURE when this returns, and the promise journals the anomaly.
   */
  checkDecision(live: ActivePolicySet): Promise<void> | undefined {
    const issued = this.issued;
    if (!issued || this.deps.state.has(MIF)) return undefined;
    let problem: string | null = null;
    if (live.cedarPolicyHash !== issued.manifest.cedar_policy_hash) problem = mismatch(live.cedarPolicyHash, issued.manifest);
    else if (Date.now() - this.lastFullCheck >= this.deps.recheckMs) {
      problem = this.inMemoryProblem(issued);
      // the stored copy too, once per window (a store edited while the kernel runs); a read
      // that fails is the store's outage, which the decision's own record will meet
      if (problem === null) return this.compareStored(issued).catch(() => undefined);
    }
    if (problem === null) return undefined;
    return this.fail(problem).catch(() => undefined);
  }

  private async verified(what: string): Promise<Issued> {
    const issued = this.issued;
    if (this.deps.state.has(MIF)) throw new DomainError(MIF, `the kernel is in MANIFEST_INTEGRITY_FAILURE: cannot ${what}`);
    if (!issued) throw new DomainError('KERNEL_NOT_STARTED', `no manifest has been issued: cannot ${what}`);
    const problem = this.inMemoryProblem(issued);
    if (problem !== null) return this.fail(problem);
    return issued;
  }

  /** Full in-memory re-verification; null when intact. */
  private inMemoryProblem(issued: Issued): string | null {
    this.lastFullCheck = Date.now();
    const m = issued.manifest;
    let lock: string;
    let signatureText: string;
    try {
      lock = manifestLock(this.deps.merkle, canonicalJson(manifestBody(m)));
      signatureText = canonicalJson(m.manifest_signature);
    } catch {
      return 'the manifest in memory can no longer be canonicalized';
    }
    if (lock !== issued.lock) return `manifest \`${m.manifest_id}\` in memory does not match its hash-lock (${issued.lock} fixed at issue, now ${lock})`;
    if (signatureText !== issued.signatureText) return `manifest \`${m.manifest_id}\` in memory: \`manifest_signature\` changed since issue`;
    const live = this.deps.livePolicy().cedarPolicyHash;
    if (live !== m.cedar_policy_hash) return mismatch(live, m);
    return null;
  }

  private async compareStored(issued: Issued): Promise<void> {
    const m = issued.manifest;
    const stored = await this.deps.io(() => this.deps.store.getDocument(MANIFEST_DOCUMENT_KIND, m.epoch), false);
    if (!stored) return this.fail(`stored manifest of epoch ${m.epoch} is missing`);
    if (stored.docId !== m.manifest_id || stored.body !== canonicalJson(m)) {
      return this.fail(`stored manifest of epoch ${m.epoch} differs from the issued manifest \`${m.manifest_id}\``);
    }
  }

  private verifyStored(doc: StoredDocument): { ok: true; lock: string; manifest: GecManifest } | { ok: false; reason: string } {
    const check = verifyManifestText(doc.body, this.deps);
    if (!check.ok) return check;
    if (check.manifest.epoch !== doc.seq) return { ok: false, reason: `it declares epoch ${check.manifest.epoch}` };
    if (check.manifest.manifest_id !== doc.docId) return { ok: false, reason: `it declares id \`${check.manifest.manifest_id}\`, stored as \`${doc.docId}\`` };
    return { ok: true, lock: check.lock, manifest: check.manifest };
  }

  /**
   * The body of the manifest of `epoch` for `policy` under the running inputs (conformance
   * computed, TEE evidence fetched); rejects with INVALID_INPUT when the required level is not met.
   */
  private async compose(policy: PolicyEpoch, epoch: number, previousLock: string | null): Promise<{ body: ManifestBody; issuedAt: string }> {
    const { signer, merkle, clock, kernelId, inputs } = this.deps;
    const description = signer.describe();
    const attestations = inputs.attest ? await inputs.attest() : [];
    const conformance = computeConformance({
      store: inputs.deployment?.store ?? 'other',
      signer: inputs.deployment?.signer ?? (description.scheme === 'ed25519' ? 'ed25519' : 'frost-in-process'),
      attestations,
      extra: inputs.requirements?.() ?? [],
    });
    const level = conformance.level;
    const missing = unmet(conformance);
    const wanted = inputs.conformanceLevel;
    if (wanted && LEVEL_RANK[level] < LEVEL_RANK[wanted]) {
      const why = missing.filter((m) => LEVEL_RANK[m.level] <= LEVEL_RANK[wanted]).map((m) => `${m.requirement}: ${m.reason}`);
      throw new DomainError('INVALID_INPUT', `conformance level \`${wanted}\` is required but the deployment is ${level}${why.length > 0 ? ` (${why.join('; ')})` : ''}`);
    }
    const publicKey = signer.publicKey();
    const issuedAt = clock.nowIso();
    const body: ManifestBody = {
      manifest_version: MANIFEST_VERSION,
      manifest_id: crypto.randomUUID(),
      epoch,
      previous_manifest_hash: previousLock,
      issued_at: issuedAt,
      attestation_timestamp: Math.floor(Date.parse(issuedAt) / 1000),
      gec_id: kernelId,
      kernel_version: inputs.kernelVersion,
      soos_conformance_version: SOOS_CONFORMANCE_VERSION,
      conformance_level: level,
      conformance_unmet: missing,
      ...(attestations.length > 0 ? { tee_attestation: attestations } : {}),
      kernel_keypair_fingerprint: toHex(merkle.sha256(publicKey)),
      signing_config: { scheme: description.scheme, algorithm: 'Ed25519', public_key: toHex(publicKey) },
      deployment_constraints: [description.deployment_constraint],
      // shares held only in sidecars whose TEE evidence verified (L2) are hardware-protected
      hardware_backed: description.hardware_backed || level !== 'KEE1-L1',
      cedar_policy_hash: policy.cedarPolicyHash,
      cedar_policy_set_hashes: [policy.cedarPolicyHash],
      loaded_policy_ids: [...policy.policyIds].sort(),
      cap_profile_id: policy.capProfileId,
      cap_profile_version: policy.version,
      ...(policy.capProfileHash ? { cap_profile_hash: policy.capProfileHash } : {}),
      publisher_keys: (inputs.publisherKeys ?? []).map((k) => {
        const key = fromHex(k);
        if (!key || key.length !== 32) throw new DomainError('INVALID_INPUT', `publisher key \`${k.slice(0, 80)}\` is not 32 bytes of lowercase hex`);
        return { key_id: toHex(merkle.sha256(key)), public_key: k };
      }),
      wasm_modules: { ...inputs.wasmModules },
      ...(inputs.tokenKeys ? { token_keys: inputs.tokenKeys.map((k) => ({ kid: k.kid, public_key: k.public_key })) } : {}),
      xpid_derivation_version: inputs.xpidDerivationVersion ?? XPID_DERIVATION_VERSION,
      agent_authentication: inputs.agentAuthentication ?? 'none',
      capability_flags: { ...CAPABILITY_FLAGS },
    };
    const exception = this.deps.nonconformance?.(policy) ?? null;
    if (exception !== null) body.conformance_exceptions = [exception];
    return { body, issuedAt };
  }

  /** Builds, signs and stores the manifest of `epoch`. Nothing is signed in MANIFEST_INTEGRITY_FAILURE. */
  private async build(policy: PolicyEpoch, epoch: number, previousLock: string | null): Promise<Issued> {
    const { signer, merkle, store, io } = this.deps;
    const { body, issuedAt } = await this.compose(policy, epoch, previousLock);
    const canonicalBody = canonicalJson(body);
    const lock = manifestLock(merkle, canonicalBody);
    if (this.deps.state.has(MIF)) throw new DomainError(MIF, 'the kernel is in MANIFEST_INTEGRITY_FAILURE: no manifest is signed');
    const signature = await signer.sign(utf8.encode(canonicalBody));
    const manifest: GecManifest = { ...body, manifest_signature: { algorithm: 'Ed25519', key_id: body.kernel_keypair_fingerprint, signature: toHex(signature) } };
    // stored before it is served; CONFLICT if the epoch is taken
    await io(() => store.putDocument({ kind: MANIFEST_DOCUMENT_KIND, seq: epoch, docId: manifest.manifest_id, body: canonicalJson(manifest), createdAt: issuedAt }), true);
    this.lastEpoch = Math.max(this.lastEpoch, epoch);
    this.chain.set(lock, epoch);
    this.keys.add(body.signing_config.public_key);
    // the kernel's copy is its own: later changes to the inputs cannot reach it
    const own = JSON.parse(canonicalJson(manifest)) as GecManifest;
    if (epoch > (this.top?.epoch ?? 0)) {
      this.top = { epoch, lock };
      this.topManifest = own;
    }
    return { manifest: own, lock, signatureText: canonicalJson(own.manifest_signature) };
  }

  /** Enters MANIFEST_INTEGRITY_FAILURE (once), journals it, and rejects with that code. */
  private async fail(reason: string): Promise<never> {
    if (!this.deps.state.has(MIF)) {
      this.deps.state.enter(MIF, reason);
      await this.deps.journal.anomaly(MIF, { detail: reason, manifest_id: this.issued?.manifest.manifest_id ?? null, epoch: this.issued?.manifest.epoch ?? null });
    }
    throw new DomainError(MIF, reason);
  }
}

function mismatch(live: string, m: GecManifest): string {
  return `the live policy set (${live}) is not the one manifest \`${m.manifest_id}\` declares (${m.cedar_policy_hash})`;
}
