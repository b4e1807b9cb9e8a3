import { AuditLog } from './audit/audit-log.ts';
import { AUDIT_PACKAGE_FORMAT, type AuditPackage } from './audit/audit-package.ts';
import { blockSigningInput } from './audit/block-signing.ts';
import { findChainBreak } from './audit/chain.ts';
import { evaluate } from './authorize/authorize.ts';
import type { KernelDeps } from './deps.ts';
import { DomainError, isDomainError } from './errors.ts';
import { randomHex, toHex } from './hex.ts';
import { KernelState } from './state/kernel-state.ts';
import type { AuditRecord, AuthorizationRequest, Decision, Json, Session, SessionBlock } from './types.ts';

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
  private readonly audit: AuditLog;
  private readonly deps: KernelDeps;

  constructor(deps: KernelDeps) {
    this.deps = deps;
    this.kernelId = toHex(deps.merkle.sha256(deps.signer.publicKey()));
    this.audit = new AuditLog({ ...deps, state: this.state, kernelId: this.kernelId });
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
    const { record, stored } = this.audit.firstRecord(session, 'SESSION_OPEN', {
      agent_id: agentId,
      cap_profile_id: active.capProfileId,
      cedar_policy_hash: active.cedarPolicyHash,
    });
    await this.audit.createSession(() => this.deps.store.createSession(session, stored), record);
    return session;
  }

  async authorize(sessionId: string, request: AuthorizationRequest): Promise<AuthorizeResult> {
    const session = await this.openSessionOrThrow(sessionId);
    const result = await evaluate({ ...this.deps, state: this.state, kernelId: this.kernelId }, session, request);
    const subject = this.deps.merkle.canonicalize(request);
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
    const session = await this.sessionOrThrow(sessionId);
    if (session.status === 'CLOSED') {
      const existing = await this.audit.io(() => this.deps.store.getBlock(session.block_id), false);
      if (existing) return existing;
    }
    if (session.status === 'OPEN') await this.audit.append(session, 'SESSION_COMPLETE', {}, 'CLOSING');

    const records = await this.readRecords(session);
    const { merkle, signer, clock, telemetry } = this.deps;
    return telemetry.span('soos.gar.block_close', { traceId: session.block_id }, async (span) => {
      const leaves = records.map((r) => new TextEncoder().encode(merkle.canonicalize(r)));
      const header = {
        block_id: session.block_id,
        merkle_root: toHex(merkle.root(leaves)),
        block_close_timestamp: clock.nowIso(),
      };
      const signature = await telemetry.span(
        'soos.kia.sign',
        { traceId: session.block_id, attributes: { 'soos.governance.kia_key_id': this.kernelId } },
        async () => {
          try {
            return await signer.sign(blockSigningInput(merkle, header));
          } catch (e) {
            if (isDomainError(e)) throw e;
            throw new DomainError('SIGNER_FAILED', 'the kernel could not sign the session block', { cause: e });
          }
        },
      );
      const block: SessionBlock = {
        ...header,
        session_id: session.session_id,
        record_count: records.length,
        block_signature: { algorithm: 'Ed25519', key_id: this.kernelId, public_key: toHex(signer.publicKey()), signature: toHex(signature) },
      };
      await this.audit.io(() => this.deps.store.storeBlock(block), true);
      span.setAttributes({
        'soos.gar.block_id': block.block_id,
        'soos.gar.event_merkle_root': block.merkle_root,
        'soos.gar.block_signature': block.block_signature.signature,
        'soos.governance.session_id': block.session_id,
      });
      return block;
    });
  }

  async getBlock(blockId: string): Promise<SessionBlock> {
    const block = await this.audit.io(() => this.deps.store.getBlock(blockId), false);
    if (!block) throw new DomainError('BLOCK_NOT_FOUND', `no session block \`${blockId}\``);
    return block;
  }

  /** The audit package of a closed block; the stored root is re-verified before it is served. */
  async getPackage(blockId: string): Promise<AuditPackage> {
    const block = await this.getBlock(blockId);
    const session = await this.sessionOrThrow(block.session_id);
    const records = await this.readRecords(session);
    const leaves = records.map((r) => new TextEncoder().encode(this.deps.merkle.canonicalize(r)));
    const { root, proofs } = this.deps.merkle.rootAndProofs(leaves);
    if (toHex(root) !== block.merkle_root || records.length !== block.record_count) {
      throw new DomainError('CONFLICT', `stored records of block \`${blockId}\` no longer match its signed merkle_root`);
    }
    return {
      format: AUDIT_PACKAGE_FORMAT,
      block,
      public_key: { algorithm: 'Ed25519', key_id: block.block_signature.key_id, public_key: block.block_signature.public_key },
      records: records.map((record, i) => ({ leaf_index: i, record, inclusion_proof: (proofs[i] ?? []).map(toHex) })),
    };
  }

  private async readRecords(session: Session): Promise<AuditRecord[]> {
    const stored = await this.audit.io(() => this.deps.store.listRecords(session.session_id), false);
    const records = stored.map((s) => JSON.parse(s.canonical) as AuditRecord);
    const broken = findChainBreak(this.deps.merkle, records, session);
    if (broken) {
      throw new DomainError('CONFLICT', `audit chain of session \`${session.session_id}\` is broken at record ${broken.index}: ${broken.reason}`);
    }
    return records;
  }

  private async sessionOrThrow(sessionId: string): Promise<Session> {
    const session = await this.audit.io(() => this.deps.store.getSession(sessionId), false);
    if (!session) throw new DomainError('SESSION_NOT_FOUND', `no session \`${sessionId}\``);
    return session;
  }

  private async openSessionOrThrow(sessionId: string): Promise<Session> {
    const session = await this.sessionOrThrow(sessionId);
    if (session.status !== 'OPEN') throw new DomainError('SESSION_CLOSED', `session \`${sessionId}\` is closed`);
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
