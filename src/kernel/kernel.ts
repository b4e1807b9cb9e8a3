import { AuditLog } from './audit/audit-log.ts';
import type { AuditPackage } from './audit/audit-package.ts';
import { BlockService, type Checkpoint, type ConsistencyProof } from './audit/blocks.ts';
import { KernelJournal } from './audit/journal.ts';
import { evaluate } from './authorize/authorize.ts';
import { activationFields, CapProfileRegistry, refusalFields, type ActiveCapProfile, type CapProfileAccepted } from './cap-profile/registry.ts';
import type { CapProfileRefusal } from './cap-profile/refusal.ts';
import type { VerifiedCapProfile } from './cap-profile/verify-update.ts';
import type { KernelDeps } from './deps.ts';
import { DomainError } from './errors.ts';
import { randomHex, toHex } from './hex.ts';
import { canonicalJson } from './jcs.ts';
import { KernelState } from './state/kernel-state.ts';
import type { AuthorizationRequest, Decision, Json, Session, SessionBlock } from './types.ts';
import type { PolicyEngine } from '../ports/policy.ts';

export type AuthorizeResult = {
  decision: Decision;
  ale_seq: number;
  policy_ids: string[];
  cedar_policy_hash: string;
  reasons: string[];
};

/** The governance kernel: sessions, fail-closed authorization, the audit chain and Session Blocks. */
export class Kernel {
  readonly state = new KernelState();
  readonly kernelId: string;
  private readonly deps: KernelDeps;
  private readonly audit: AuditLog;
  private readonly blocks: BlockService;
  private readonly journal: KernelJournal;
  /** The serving policy set; replaced whole by an accepted CAP Profile update. */
  private policy: PolicyEngine;
  private readonly capProfiles: CapProfileRegistry;

  constructor(deps: KernelDeps) {
    this.deps = deps;
    this.policy = deps.policy;
    this.capProfiles = new CapProfileRegistry(deps.capProfile, deps.policy.active());
    this.kernelId = toHex(deps.merkle.sha256(deps.signer.publicKey()));
    this.audit = new AuditLog({
      ...deps,
      state: this.state,
      kernelId: this.kernelId,
      ...(deps.options?.maxBatch ? { maxBatch: deps.options.maxBatch } : {}),
      ...(deps.options?.groupCommit === false ? { groupCommit: false } : {}),
    });
    const journal = new KernelJournal(this.audit, () => this.openSession('kee-kernel'));
    this.journal = journal;
    this.blocks = new BlockService(deps, this.audit, journal, this.state, this.kernelId);
  }

  health(): { status: 'ok'; state: string; runtime: KernelDeps['runtime']; conditions: { state: string; reason: string }[] } {
    const snap = this.state.snapshot();
    return { status: 'ok', state: snap.state, runtime: this.deps.runtime, conditions: snap.conditions };
  }

  publicKey(): { algorithm: 'Ed25519'; key_id: string; public_key: string } {
    return { algorithm: 'Ed25519', key_id: this.kernelId, public_key: toHex(this.deps.signer.publicKey()) };
  }

  /** Opens a session; its block id is a fresh OTel trace id; SESSION_OPEN is its first record. */
  async openSession(agentId: string): Promise<Session> {
    const session: Session = {
      session_id: crypto.randomUUID(),
      block_id: newTraceId(),
      agent_id: agentId,
      status: 'OPEN',
      created_at: this.deps.clock.nowIso(),
    };
    const active = this.policy.active();
    const fields = { agent_id: agentId, cap_profile_id: active.capProfileId, cedar_policy_hash: active.cedarPolicyHash };
    await this.audit.createSession(session, 'SESSION_OPEN', fields, (first) => this.deps.store.createSession(session, first));
    return session;
  }

  async authorize(sessionId: string, request: AuthorizationRequest): Promise<AuthorizeResult> {
    const session = await this.sessionOrThrow(sessionId);
    if (session.status === 'TAMPERED') throw new DomainError('AUDIT_TAMPERED', `session \`${sessionId}\` is marked tampered`);
    if (session.status !== 'OPEN') throw new DomainError('SESSION_CLOSED', `session \`${sessionId}\` is closed`);
    const result = await evaluate({ ...this.deps, policy: this.policy, state: this.state, kernelId: this.kernelId }, session, request);
    const subject = canonicalJson(request);
    const fields: Record<string, Json> = {
      decision: result.decision,
      principal: request.principal,
      action: request.action,
      resource: request.resource,
      subject_digest: toHex(this.deps.merkle.sha256(new TextEncoder().encode(subject))),
      policy_ids: result.policyIds,
      cap_profile_id: result.capProfileId,
      cedar_policy_hash: result.cedarPolicyHash,
      cap_tier: result.tier ?? null,
    };
    if (result.reasons.length > 0) fields.reasons = result.reasons;
    // The record is durable before the decision leaves the kernel; no record, no decision.
    const record = await this.audit.append(session, result.decision === 'PERMIT' ? 'CEDAR_PERMIT' : 'CEDAR_DENY', fields);
    return {
      decision: result.decision,
      ale_seq: record.ale_seq,
      policy_ids: result.policyIds,
      cedar_policy_hash: result.cedarPolicyHash,
      reasons: result.reasons,
    };
  }

  /**
   * Closes a session into a signed Session Block. Idempotent: closing a closed session returns
   * its block. The block is stored only once signed; a signing failure leaves the session
   * CLOSING so the close can be retried without a second SESSION_COMPLETE record.
   */
  async closeSession(sessionId: string): Promise<SessionBlock> {
    return this.blocks.close(await this.sessionOrThrow(sessionId));
  }

  getBlock(blockId: string): Promise<SessionBlock> {
    return this.blocks.getBlock(blockId);
  }

  getPackage(blockId: string): Promise<AuditPackage> {
    return this.blocks.getPackage(blockId);
  }

  checkpoint(): Promise<Checkpoint> {
    return this.blocks.checkpoint();
  }

  consistency(from: number, to: number): Promise<ConsistencyProof> {
    return this.blocks.consistency(from, to);
  }

  blockLogIndex(blockId: string): Promise<number | null> {
    return this.blocks.logIndex(blockId);
  }

  /**
   * P4: a signed CAP Profile update (JWS JSON general serialization). Verified against the
   * three configured publishers and the active profile; a refusal is recorded as
   * `CAP_PROFILE_REFUSED` in the kernel journal and thrown with its code; an accepted update
   * is activated.
   */
  async submitCapProfile(jws: unknown): Promise<CapProfileAccepted> {
    const verified = await this.capProfiles.verify(jws, this.deps.clock);
    if (verified.refused) {
      await this.journal.record('CAP_PROFILE_REFUSED', refusalFields(verified));
      throw new DomainError(verified.code, verified.reason, { facts: verified.detail });
    }
    return this.activateVerifiedProfile(verified);
  }

  /** The active CAP Profile: id, version, hashes, policy ids and tiers. */
  activeCapProfile(): ActiveCapProfile {
    return this.capProfiles.active();
  }

  /**
   * INTEGRATION POINT: the simplest correct activation, to be replaced by the `policy` branch's
   * pipeline (atomic hot swap, persistence, manifest epoch). Builds the new engine beside the
   * old one, writes `CAP_CATALOG_ACTIVATED` (durable first: no record, no activation), then
   * swaps the engine reference; decisions already evaluating finish on the old set.
   */
  private async activateVerifiedProfile(verified: VerifiedCapProfile): Promise<CapProfileAccepted> {
    const refuse = async (refusal: CapProfileRefusal) => {
      await this.journal.record('CAP_PROFILE_REFUSED', refusalFields(refusal));
      return new DomainError(refusal.code, refusal.reason, { facts: refusal.detail });
    };
    const overtaken = (version: number): CapProfileRefusal => ({ refused: true, code: 'CAP_ROLLBACK', reason: `version ${version} was overtaken by a concurrent update`, detail: { version } });
    const engine = this.capProfiles.load(verified);
    if ('refused' in engine) throw await refuse(engine);
    const version = verified.body.version;
    if (!this.capProfiles.reserve(version)) throw await refuse(overtaken(version));
    const activatedAt = this.deps.clock.nowIso();
    try {
      await this.journal.record('CAP_CATALOG_ACTIVATED', { ...activationFields(verified), activated_at: activatedAt });
    } catch (e) {
      this.capProfiles.release(version);
      throw e;
    }
    // a higher version reserved after this one may have committed first: never go back
    if (version <= this.capProfiles.active().version) throw await refuse(overtaken(version));
    this.capProfiles.commit(verified, engine, activatedAt);
    this.policy = engine;
    return { cap_profile_id: verified.body.cap_profile_id, version, cap_profile_hash: verified.cap_profile_hash, cedar_policy_hash: engine.active().cedarPolicyHash, activated_at: activatedAt };
  }

  private async sessionOrThrow(sessionId: string): Promise<Session> {
    const session = await this.audit.io(() => this.deps.store.getSession(sessionId), false);
    if (!session) throw new DomainError('SESSION_NOT_FOUND', `no session \`${sessionId}\``);
    return session;
  }
}

/** A 16-byte OTel trace id as 32 lowercase hex characters, never all zero. */
function newTraceId(): string {
  for (;;) {
    const id = randomHex(16);
    if (!/^0+$/.test(id)) return id;
  }
}
