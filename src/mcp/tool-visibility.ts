/**
 * Which tools `tools/list` offers (embedded kernel): a tool is hidden only when the active
 * policy can never permit a call to it, whatever the arguments, as Cedar partial evaluation over
 * an unknown principal and an unknown context says (`adapters/cedar/never-permits.ts`). Hiding
 * is a convenience for the agent, never enforcement: a call to a hidden tool is still decided
 * (and denied) like any other. Answers are cached per policy set (`cedar_policy_hash`), so a
 * profile update is seen by the next `tools/list`.
 */
import type { ActivePolicyText } from '../kernel/policy/activation.ts';
import type { ContextKeys, ProbedPolicy, ProbedRequest } from '../adapters/cedar/never-permits.ts';
import { toolRequest } from './gateway.ts';
import { CONTEXT_KEYS } from './projection.ts';
import type { GatewayTool } from './upstreams.ts';

export type NeverPermits = (policy: ProbedPolicy, request: ProbedRequest, keys: ContextKeys) => boolean;

/** `visible(tool)`: false when the active policy never permits `agentId` to call it. */
export function policyVisibility(activePolicy: () => ActivePolicyText, neverPermits: NeverPermits, agentId: string): (tool: GatewayTool) => boolean {
  let cachedFor: string | null = null;
  let cache = new Map<string, boolean>();
  return (tool) => {
    let policy: ActivePolicyText;
    try {
      policy = activePolicy();
    } catch {
      return true;
    }
    if (policy.cedar_policy_hash !== cachedFor) {
      cachedFor = policy.cedar_policy_hash;
      cache = new Map();
    }
    let visible = cache.get(tool.exposed.name);
    if (visible === undefined) {
      const { action, resource, entities } = toolRequest(agentId, tool, {});
      visible = !neverPermits(policy, { action, resource, entities: entities ?? [] }, CONTEXT_KEYS);
      cache.set(tool.exposed.name, visible);
    }
    return visible;
  };
}
