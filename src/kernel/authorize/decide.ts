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

/** The answer to one authorization request (`POST …/authorize`). */
export type AuthorizeResult = {
  decision: Decision;
  ale_seq: number;
  policy_ids: string[];
  cedar_policy_hash: string;
  reasons: string[];
  /** A PERMIT's intent-bound credential (compact JWS, 60 s); never on a DENY. */
  credential?: string;
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
  /** The policy cluster node's state (span attributes), when clustered. */
  cluster?: (() => { state: string; reason: string | null; splitBrain: boolean }) | undefined;
};

/**
 * Decides requests in an open session (checked by the caller) and records each decision:
 * one result per request, in order. A request whose evaluation fails is a DENY for that request
 * alone (fail-closed per request). The records are durable before the results are returned —
 * no record, no decision — and are appended in one turn, in request order, so their `ale_seq`
 * follow the requests.
 */
export async function decideAndRecord(deps: DecideDeps, session: Session, requests: readonly AuthorizationRequest[], holderJkt?: string): Promise<AuthorizeResult[]> {
  const decided: { result: Evaluated; fields: Record<string, Json>; credential: PreparedCredential | null }[] = [];
  for (const request of requests) {
    let result: Evaluated;
    const refused = deps.refusal?.(request) ?? null;
    try {
      result = refused === null ? await evaluate(deps, session, request) : forcedDeny(deps.policy(), refused);
    } catch (e) {
      result = forcedDeny(deps.policy(), `evaluation failed: ${e instanceof Error ? e.message : String(e)}`);
    }
    const fields = decisionFields(deps.merkle, result, request);
    // a PERMIT's record names its credential (jti, intent) so the audit package proves which credential came from which decision
    const credential = result.decision === 'PERMIT' ? deps.credentials.prepare(request) : null;
    if (credential) {
      fields.credential_jti = credential.jti;
      fields.intent = credential.intent;
    }
    decided.push({ result, fields, credential });
  }
  const records = await Promise.all(decided.map(({ result, fields }) => deps.audit.append(session, result.decision === 'PERMIT' ? 'CEDAR_PERMIT' : 'CEDAR_DENY', fields)));
  // signed only once the records are durable: a credential always has its decision record
  return Promise.all(
    decided.map(async ({ result, credential }, i) => {
      const ale_seq = (records[i] as { ale_seq: number }).ale_seq;
      const answer: AuthorizeResult = { decision: result.decision, ale_seq, policy_ids: result.policyIds, cedar_policy_hash: result.cedarPolicyHash, reasons: result.reasons };
      if (credential) {
        const facts = { ale_seq, cedar_policy_hash: result.cedarPolicyHash, cap_profile_hash: result.capProfileHash };
        answer.credential = await deps.credentials.issue(credential, session, requests[i] as AuthorizationRequest, facts, holderJkt);
      }
      return answer;
    }),
  );
}

/** The fields of a CEDAR_PERMIT / CEDAR_DENY record. */
function decisionFields(merkle: Merkle, result: Evaluated, request: AuthorizationRequest): Record<string, Json> {
  // the digest commits to everything the decision read, entities included
  const { principal, action, resource, context, entities } = request;
  const subject = canonicalJson({ principal, action, resource, context, ...(entities === undefined ? {} : { entities }) });
  const fields: Record<string, Json> = {
    decision: result.decision,
    principal: request.principal,
    action: request.action,
    resource: request.resource,
    subject_digest: toHex(merkle.sha256(new TextEncoder().encode(subject))),
    policy_ids: result.policyIds,
    cap_profile_id: result.capProfileId,
    cap_profile_version: result.version,
    // digest choice 5.5: the signed profile body's hash (null for the built-in profile) beside the policy-set hash
    cap_profile_hash: result.capProfileHash,
    cedar_policy_hash: result.cedarPolicyHash,
    cap_tier: result.tier ?? null,
  };
  if (entities !== undefined) fields.entity_count = entities.length;
  if (result.reasons.length > 0) fields.reasons = result.reasons;
  return fields;
}
