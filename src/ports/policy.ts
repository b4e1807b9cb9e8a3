import type { AuthorizationRequest } from '../kernel/types.ts';

/** What the engine decided for one request. `errors` non-empty means the kernel must DENY. */
export type PolicyEvaluation = {
  decision: 'PERMIT' | 'DENY';
  /** Determining policy ids (the policies that caused the decision). */
  policyIds: string[];
  errors: string[];
};

/** Description of the active policy set (CAP Profile). */
export type ActivePolicySet = {
  capProfileId: string;
  cedarPolicyHash: string;
  policyIds: string[];
  /** `@tier` annotation per policy id, where present. */
  tiers: Record<string, string>;
};

/** Synchronous Cedar evaluation over a pre-parsed, active policy set. */
export interface PolicyEngine {
  /** Evaluates one request; may throw, in which case the kernel DENYs. */
  evaluate(request: AuthorizationRequest): PolicyEvaluation;
  active(): ActivePolicySet;
}
