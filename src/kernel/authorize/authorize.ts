import type { PolicyEvaluation } from '../../ports/policy.ts';
import type { Telemetry } from '../../ports/telemetry.ts';
import type { LivePolicy } from '../policy/activation.ts';
import { determiningPolicy } from '../policy/provenance.ts';
import type { KernelState } from '../state/kernel-state.ts';
import type { AuthorizationRequest, Decision } from '../types.ts';

export type Evaluated = {
  decision: Decision;
  policyIds: string[];
  /** Why a DENY was forced (engine error, kernel state); empty for ordinary decisions. */
  reasons: string[];
  capProfileId: string;
  cedarPolicyHash: string;
  /** The active set's version (0: the built-in profile) and CAP Profile hash, if signed. */
  version: number;
  capProfileHash: string | null;
  tier: string | undefined;
  /** A clean DENY determined by a forbid policy annotated `@hem(<class>)`: that policy and class (the first, by id). */
  hem: { policyId: string; hemClass: string } | null;
  /** The serving profile keeps raw principal and resource ids out of records (`record_subjects: digest`). */
  minimized: boolean;
  /** The determining policy's id, control and authority source (statute → control → policy → decision). */
  provenance: { cedar_policy_id: string | null; cap_rrs_control_id: string | null; authority_source_uri: string | null };
};

const NO_PROVENANCE = { cedar_policy_id: null, cap_rrs_control_id: null, authority_source_uri: null } as const;

/**
 * P1: synchronous Cedar evaluation, fail-closed. An exception from the engine, an evaluation
 * error of any policy, a malformed answer, or a kernel condition that forbids serving makes the
 * decision DENY with a reason; nothing but a clean engine PERMIT is a PERMIT.
 *
 * INVARIANT: the serving set is read exactly once (`deps.policy()`), in the same synchronous
 * turn as the evaluation, so a hot swap can neither split a decision between two sets nor
 * release the engine under it; the decision names that set's hash.
 */
export async function evaluate(
  deps: { policy: () => LivePolicy; telemetry: Telemetry; state: KernelState; kernelId: string; cluster?: (() => { state: string; reason: string | null; splitBrain: boolean }) | undefined },
  ctx: { session_id: string; block_id: string; xpid?: string },
  request: AuthorizationRequest,
): Promise<Evaluated> {
  return deps.telemetry.span('soos.cedar.evaluate', { traceId: ctx.block_id }, (span) => {
    const live = deps.policy();
    const active = live.info;
    let result: PolicyEvaluation;
    const reasons: string[] = [];
    if (deps.state.has('MANIFEST_INTEGRITY_FAILURE') || deps.state.has('DENY_ALL')) {
      reasons.push(`kernel is in ${deps.state.primary()}: every authorization is denied`);
      const node = deps.cluster?.();
      if (node && node.state !== 'SERVING') reasons.push(`policy cluster node is ${node.state}${node.reason ? `(${node.reason})` : ''}`);
      result = { decision: 'DENY', policyIds: [], errors: [] };
    } else {
      try {
        result = checked(live.engine.evaluate(request));
      } catch (e) {
        result = fault(`policy engine failed: ${e instanceof Error ? e.message : String(e)}`);
      }
    }
    if (result.errors.length > 0) reasons.push(...result.errors);
    const decision: Decision = result.decision === 'PERMIT' && reasons.length === 0 ? 'PERMIT' : 'DENY';
    const tier = result.policyIds.map((id) => active.tiers[id]).find((t) => t !== undefined);
    const hemPolicy = decision === 'DENY' && reasons.length === 0 ? result.policyIds.find((id) => active.hem?.[id] !== undefined) : undefined;
    const found = determiningPolicy(live.engine, result.policyIds, active.tiers);
    const provenance = found ? { cedar_policy_id: found.cedar_policy_id, cap_rrs_control_id: found.cap_rrs_control_id, authority_source_uri: found.authority_source_uri } : NO_PROVENANCE;
    span.setAttributes({
      'soos.governance.kernel_id': deps.kernelId,
      'soos.governance.session_id': ctx.session_id,
      'soos.governance.xpid': ctx.xpid,
      'soos.governance.cap_profile_id': active.capProfileId,
      'soos.governance.cedar_policy_hash': active.cedarPolicyHash,
      'soos.governance.decision': decision,
      'soos.cap.decision': decision,
      'soos.cap.policy_ids_evaluated': active.policyIds,
      'soos.cap.cedar_policy_id': provenance.cedar_policy_id ?? '',
      'soos.cap.cap_rrs_control_id': provenance.cap_rrs_control_id ?? '',
      'soos.cap.authority_source_uri': provenance.authority_source_uri ?? '',
      'soos.governance.cap_profile_hash': live.capProfileHash ?? '',
      'soos.cap.tier': tier ?? '',
      'soos.cap.conflict_detected': false,
      'soos.gar.block_id': ctx.block_id,
    });
    // a retry naming an escalation (digest 4.9 step 9): its resolution beside the decision
    const hem = request.hem_id === undefined ? undefined : request.context.hem;
    if (hem !== null && typeof hem === 'object' && !Array.isArray(hem)) span.setAttributes({ 'soos.governance.hem_resolution': String(hem.resolution), 'soos.governance.hem_class': String(hem.class), 'soos.hem.id': String(hem.id) });
    // P1 cluster (digest 4.5, 4.7): the node's state as the decision was made, and whether it sits in a minority partition
    const cluster = deps.cluster?.();
    if (cluster) span.setAttributes({ 'soos.governance.cedar.cluster_state': cluster.state, 'soos.governance.cedar.split_brain': cluster.splitBrain });
    return {
      decision,
      policyIds: result.policyIds,
      reasons,
      capProfileId: active.capProfileId,
      cedarPolicyHash: active.cedarPolicyHash,
      version: live.version,
      capProfileHash: live.capProfileHash,
      tier,
      hem: hemPolicy === undefined ? null : { policyId: hemPolicy, hemClass: active.hem?.[hemPolicy] as string },
      provenance,
      minimized: live.recordSubjects === 'digest',
    };
  });
}

/** The engine's answer if it is well-formed; otherwise a DENY naming what is wrong with it. */
function checked(answer: unknown): PolicyEvaluation {
  if (typeof answer !== 'object' || answer === null) return fault('policy engine returned no answer');
  const { decision, policyIds, errors } = answer as Record<string, unknown>;
  if (decision !== 'PERMIT' && decision !== 'DENY') return fault(`policy engine returned an invalid decision \`${String(decision).slice(0, 64)}\``);
  if (!isStrings(policyIds)) return fault('policy engine returned malformed policy ids');
  if (!isStrings(errors)) return fault('policy engine returned malformed errors');
  // Cedar permits only through a satisfied permit policy: a PERMIT naming none is a fault.
  if (decision === 'PERMIT' && policyIds.length === 0) return fault('policy engine returned PERMIT without a determining policy');
  return { decision, policyIds, errors };
}

function isStrings(v: unknown): v is string[] {
  return Array.isArray(v) && v.every((x) => typeof x === 'string');
}

function fault(reason: string): PolicyEvaluation {
  return { decision: 'DENY', policyIds: [], errors: [reason] };
}

/** A DENY the kernel forces without an engine answer (e.g. the evaluation itself failed), named against the serving set. */
export function forcedDeny(live: LivePolicy, reason: string): Evaluated {
  return {
    decision: 'DENY',
    policyIds: [],
    reasons: [reason],
    capProfileId: live.info.capProfileId,
    cedarPolicyHash: live.info.cedarPolicyHash,
    version: live.version,
    capProfileHash: live.capProfileHash,
    tier: undefined,
    hem: null,
    provenance: NO_PROVENANCE,
    minimized: live.recordSubjects === 'digest',
  };
}
