import type { PolicyEngine, PolicyEvaluation } from '../../ports/policy.ts';
import type { Telemetry } from '../../ports/telemetry.ts';
import type { KernelState } from '../state/kernel-state.ts';
import type { AuthorizationRequest, Decision } from '../types.ts';

export type Evaluated = {
  decision: Decision;
  policyIds: string[];
  /** Why a DENY was forced (engine error, kernel state); empty for ordinary decisions. */
  reasons: string[];
  capProfileId: string;
  cedarPolicyHash: string;
  tier: string | undefined;
};

/**
 * P1: synchronous Cedar evaluation, fail-closed. An exception from the engine, an evaluation
 * error of any policy, or a kernel condition that forbids serving makes the decision DENY with
 * a reason; nothing but a clean engine PERMIT is a PERMIT.
 */
export async function evaluate(
  deps: { policy: PolicyEngine; telemetry: Telemetry; state: KernelState; kernelId: string },
  ctx: { session_id: string; block_id: string },
  request: AuthorizationRequest,
): Promise<Evaluated> {
  return deps.telemetry.span('soos.cedar.evaluate', { traceId: ctx.block_id }, (span) => {
    const active = deps.policy.active();
    let result: PolicyEvaluation;
    const reasons: string[] = [];
    if (deps.state.has('MANIFEST_INTEGRITY_FAILURE') || deps.state.has('DENY_ALL')) {
      reasons.push(`kernel is in ${deps.state.primary()}: every authorization is denied`);
      result = { decision: 'DENY', policyIds: [], errors: [] };
    } else {
      try {
        result = deps.policy.evaluate(request);
      } catch (e) {
        result = { decision: 'DENY', policyIds: [], errors: [`policy engine failed: ${e instanceof Error ? e.message : String(e)}`] };
      }
    }
    if (result.errors.length > 0) reasons.push(...result.errors);
    const decision: Decision = result.decision === 'PERMIT' && reasons.length === 0 ? 'PERMIT' : 'DENY';
    const tier = result.policyIds.map((id) => active.tiers[id]).find((t) => t !== undefined);
    span.setAttributes({
      'soos.governance.kernel_id': deps.kernelId,
      'soos.governance.session_id': ctx.session_id,
      'soos.governance.cap_profile_id': active.capProfileId,
      'soos.governance.cedar_policy_hash': active.cedarPolicyHash,
      'soos.governance.decision': decision,
      'soos.cap.decision': decision,
      'soos.cap.policy_ids_evaluated': active.policyIds,
      'soos.cap.cedar_policy_id': result.policyIds[0] ?? '',
      'soos.cap.tier': tier ?? '',
      'soos.cap.conflict_detected': false,
      'soos.gar.block_id': ctx.block_id,
    });
    return {
      decision,
      policyIds: result.policyIds,
      reasons,
      capProfileId: active.capProfileId,
      cedarPolicyHash: active.cedarPolicyHash,
      tier,
    };
  });
}
