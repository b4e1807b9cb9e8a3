import { AuditLog } from './audit/audit-log.ts';
import type { AuditPackage } from './audit/audit-package.ts';
import { BlockService, type Checkpoint, type ConsistencyProof } from './audit/blocks.ts';
import { KernelJournal } from './audit/journal.ts';
import { evaluate } from './authorize/authorize.ts';
import type { KernelDeps } from './deps.ts';
import { DomainError } from './errors.ts';
import { randomHex, toHex } from './hex.ts';
import { canonicalJson } from './jcs.ts';
import { KernelState } from './state/kernel-state.ts';
import type { AuthorizationRequest, Decision, Json, Session, SessionBlock } from './types.ts';

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

  constructor(deps: KernelDeps) {
    this.deps = deps;
    this.kernelId = toHex(deps.merkle.sha256(deps.signer.publicKey()));
    this.audit = new AuditLog({
      ...deps,
      state: this.state,
      kernelId: this.kernelId,
      ...(deps.options?.maxBatch ? { maxBatch: deps.options.maxBatch } : {}),
      ...(deps.options?.groupCommit === false ? { groupCommit: false } : {}),
      ...(deps.options?.maxInFlight ? { maxInFlight: deps.options.maxInFlight } : {}),
      ...(deps.options?.eagerBatch ? { eagerBatch: deps.options.eagerBatch } : {}),
    });
    const journal = new KernelJournal(this.audit, () => this.openSession('kee-kernel'));
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
    const active = this.deps.policy.active();
    const fields = { agent_id: agentId, cap_profile_id: active.capProfileId, cedar_policy_hash: active.cedarPolicyHash };
    await this.audit.createSession(session, 'SESSION_OPEN', fields, (first) => this.deps.store.createSession(session, first));
    return session;
  }

  async authorize(sessionId: string, request: AuthorizationRequest): Promise<AuthorizeResult> {
    const session = await this.sessionOrThrow(sessionId);
    if (session.status === 'TAMPERED') throw new DomainError('AUDIT_TAMPERED', `session \`${sessionId}\` is marked tampered`);
    if (session.status !== 'OPEN') throw new DomainError('SESSION_CLOSED', `session \`${sessionId}\` is closed`);
    const result = await evaluate({ ...this.deps, state: this.state, kernelId: this.kernelId }, session, request);
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
