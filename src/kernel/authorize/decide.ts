import type { Merkle } from '../../ports/merkle.ts';
import type { Telemetry } from '../../ports/telemetry.ts';
import type { AuditLog } from '../audit/audit-log.ts';
import { toHex } from '../hex.ts';
import { canonicalJson } from '../jcs.ts';
import type { LivePolicy } from '../policy/activation.ts';
import type { KernelState } from '../state/kernel-state.ts';
import type { AuthorizationRequest, Decision, Json, Session } from '../types.ts';
import type { CredentialIssuer, PreparedCredential } from '../credentials/issuer.ts';
import { evaluate, forcedDeny, type Evaluated } from './authorize.ts';
import { refOf, type Escalation, type EscalationRef } from '../hem/escalation.ts';
import type { HemService, PlannedEscalation } from '../hem/hem-service.ts';

/** The answer to one authorization request (`POST …/authorize`). */
export type AuthorizeResult = {
  decision: Decision;
  ale_seq: number;
  policy_ids: string[];
  cedar_policy_hash: string;
  reasons: string[];
  /** A PERMIT's intent-bound credential (compact JWS, 60 s); never on a DENY. */
  credential?: string;
  /** A DENY determined by a `@hem` policy: the human escalation it opened (or the one the retry named). */
  escalation?: EscalationRef;
};

export type DecideDeps = {
  policy: () => LivePolicy;
  telemetry: Telemetry;
  state: KernelState;
  kernelId: string;
  merkle: Merkle;
  audit: AuditLog;
  credentials: CredentialIssuer;
  /** Why a request is DENIED without evaluation (e.g. `PRINCIPAL_MISMATCH: …`), or null. */
  refusal?: (request: AuthorizationRequest) => string | null;
  /**
   * Human escalations: the service, and per request the escalation a retry names (checked by the
   * kernel, its facts already in `context.hem`), or null.
   */
  hem?: { service: HemService; retries: readonly (Escalation | null)[] };
  /** The policy cluster node's state (span attributes), when clustered. */
  cluster?: (() => { state: string; reason: string | null; splitBrain: boolean }) | undefined;
};

/** `credential: false`: PERMITs get no credential (the caller enforces them itself); default true. */
export type DecideOptions = { credential?: boolean };

/**
 * Decides requests in an open session (checked by the caller) and records each decision:
 * one result per request, in order. A request whose evaluation fails is a DENY for that request
 * alone (fail-closed per request). The records are durable before the results are returned —
 * no record, no decision — and are appended in one turn, in request order, so their `ale_seq`
 * follow the requests.
 */
export async function decideAndRecord(deps: DecideDeps, session: Session, requests: readonly AuthorizationRequest[], holderJkt?: string, options: DecideOptions = {}): Promise<AuthorizeResult[]> {
  const decided: { result: Evaluated; fields: Record<string, Json>; credential: PreparedCredential | null; escalation: PlannedEscalation | null }[] = [];
  // the session agent's XPID (registry or provisional): in every decision record and `soos.cedar.evaluate` span
  const xpid = deps.credentials.agentXpid(session.agent_id);
  const ctx = { session_id: session.session_id, block_id: session.block_id, xpid };
  for (const [index, request] of requests.entries()) {
    let result: Evaluated;
    const refused = deps.refusal?.(request) ?? null;
    try {
      result = refused === null ? await evaluate(deps, ctx, request) : forcedDeny(deps.policy(), refused);
    } catch (e) {
      result = forcedDeny(deps.policy(), `evaluation failed: ${e instanceof Error ? e.message : String(e)}`);
    }
    const { fields, subject } = decisionFields(deps.merkle, result, request);
    fields.xpid = xpid;
    // a PERMIT's record names its credential (jti, intent) so the audit package proves which credential came from which decision
    // the intent is the action as the agent asked it: the kernel's own `context.hem` facts are not part of it
    // (without entities and HEM facts the intent's canonical form is the subject's, already made)
    const retry = deps.hem?.retries[index];
    const credential = result.decision === 'PERMIT' && options.credential !== false ? deps.credentials.prepare(retry ? withoutHemFacts(request) : request, !retry && request.entities === undefined ? subject : undefined) : null;
    if (credential) {
      fields.credential_jti = credential.jti;
      fields.intent = credential.intent;
    }
    const escalation = escalationOf(deps, session, request, result, index, decided);
    if (escalation) {
      fields.hem_id = escalation.escalation.hem_id;
      fields.hem_class = escalation.escalation.hem_class;
      fields.hem_resolution = escalation.escalation.status;
    }
    decided.push({ result, fields, credential, escalation });
  }
  let records: Awaited<ReturnType<AuditLog['append']>>[];
  // escalations open once their DENY records are durable (HEM_TRIGGERED names the record)
  const escalations: (EscalationRef | null)[] = [];
  try {
    records = await Promise.all(decided.map(({ result, fields }) => deps.audit.append(session, result.decision === 'PERMIT' ? 'CEDAR_PERMIT' : 'CEDAR_DENY', fields)));
    for (const [i, { escalation }] of decided.entries()) {
      if (escalation === null || deps.hem === undefined) escalations.push(null);
      else if (escalation.isNew) escalations.push(refOf(await deps.hem.service.open(escalation.escalation, session, (records[i] as { ale_seq: number }).ale_seq, xpid)));
      // planned by a concurrent request of the same intent: named once it is recorded
      else escalations.push(refOf(escalation.opened ? await escalation.opened : escalation.escalation));
    }
  } catch (e) {
    for (const { escalation } of decided) if (escalation?.isNew) deps.hem?.service.abandon(escalation.escalation, e);
    throw e;
  }
  // signed only once the records are durable: a credential always has its decision record
  return Promise.all(
    decided.map(async ({ result, credential }, i) => {
      const ale_seq = (records[i] as { ale_seq: number }).ale_seq;
      const answer: AuthorizeResult = { decision: result.decision, ale_seq, policy_ids: result.policyIds, cedar_policy_hash: result.cedarPolicyHash, reasons: result.reasons };
      const escalation = escalations[i];
      if (escalation) answer.escalation = escalation;
      if (credential) {
        const facts = { ale_seq, cedar_policy_hash: result.cedarPolicyHash, cap_profile_hash: result.capProfileHash };
        answer.credential = await deps.credentials.issue(credential, session, requests[i] as AuthorizationRequest, facts, holderJkt);
      }
      return answer;
    }),
  );
}

/**
 * The escalation a decision names: the one its retry named (a PERMIT on it, or a DENY still
 * determined by the `@hem` policy), else for a DENY determined by a `@hem` policy a PENDING one
 * of the same session and intent (this batch included) or a new one.
 */
function escalationOf(deps: DecideDeps, session: Session, request: AuthorizationRequest, result: Evaluated, index: number, earlier: readonly { escalation: PlannedEscalation | null }[]): PlannedEscalation | null {
  if (deps.hem === undefined) return null;
  const retry = deps.hem.retries[index] ?? null;
  if (retry !== null) return result.decision === 'PERMIT' || result.hem !== null ? { escalation: retry, isNew: false } : null;
  if (result.hem === null) return null;
  const same = (a: { type: string; id: string }, b: { type: string; id: string }) => a.type === b.type && a.id === b.id;
  const inBatch = earlier.find(({ escalation: p }) => p?.isNew && p.escalation.cedar_policy_id === result.hem?.policyId && same(p.escalation.principal, request.principal) && same(p.escalation.action, request.action) && same(p.escalation.resource, request.resource));
  if (inBatch?.escalation) return { escalation: inBatch.escalation.escalation, isNew: false };
  return deps.hem.service.plan(session, request, result.hem.policyId, result.hem.hemClass);
}

function withoutHemFacts(request: AuthorizationRequest): AuthorizationRequest {
  const { hem: _, ...context } = request.context;
  return { ...request, context };
}

const UTF8 = new TextEncoder();

/** The fields of a CEDAR_PERMIT / CEDAR_DENY record, and the canonical JSON (JCS) of the subject its digest is over. */
function decisionFields(merkle: Merkle, result: Evaluated, request: AuthorizationRequest): { fields: Record<string, Json>; subject: string } {
  // the digest commits to everything the decision read, entities included
  const { principal, action, resource, context, entities } = request;
  const subject = canonicalJson({ principal, action, resource, context, ...(entities === undefined ? {} : { entities }) });
  const fields: Record<string, Json> = {
    decision: result.decision,
    principal: request.principal,
    action: request.action,
    resource: request.resource,
    subject_digest: toHex(merkle.sha256(UTF8.encode(subject))),
    policy_ids: result.policyIds,
    cap_profile_id: result.capProfileId,
    cap_profile_version: result.version,
    // digest choice 5.5: the signed profile body's hash (null for the built-in profile) beside the policy-set hash
    cap_profile_hash: result.capProfileHash,
    cedar_policy_hash: result.cedarPolicyHash,
    cap_tier: result.tier ?? null,
    // the determining policy's provenance (digest 3.3, 4.9 step 18)
    cedar_policy_id: result.provenance.cedar_policy_id,
    cap_rrs_control_id: result.provenance.cap_rrs_control_id,
    authority_source_uri: result.provenance.authority_source_uri,
  };
  if (entities !== undefined) fields.entity_count = entities.length;
  if (result.reasons.length > 0) fields.reasons = result.reasons;
  if (result.minimized) minimize(fields);
  return { fields, subject };
}

/**
 * Data minimisation (KEE §8.4, `record_subjects: digest`): the record keeps `subject_digest` (which
 * commits to the whole request) and the entity types, not the principal and resource ids; reasons
 * keep their code (the text before `:`), since a reason may quote an id.
 */
function minimize(fields: Record<string, Json>): void {
  const principal = fields.principal as { type: string };
  const resource = fields.resource as { type: string };
  delete fields.principal;
  delete fields.resource;
  fields.principal_type = principal.type;
  fields.resource_type = resource.type;
  fields.record_subjects = 'digest';
  if (Array.isArray(fields.reasons)) fields.reasons = fields.reasons.map((r) => String(r).split(':')[0] as string);
}
