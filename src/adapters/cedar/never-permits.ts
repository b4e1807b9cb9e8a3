/**
 * Whether no request for a given action and resource can ever be PERMITTED, whatever the
 * principal and the context: Cedar partial evaluation (`isAuthorizedPartial`) with the principal
 * unknown and every context value unknown. Optional context keys are tried present and absent
 * (a `has` test on a key is decided by whether the key exists, not by its unknown value). A probe
 * never permits when its answer is a definite `deny`, or when no policy is in error and every
 * permit's residual is provably false: a `when` whose top-level `&&` chain holds the literal
 * `false`, or an `unless` whose top-level `||` chain holds the literal `true` (Cedar leaves
 * `principal is Agent && false` unsimplified when the principal is unknown). The answer is true
 * only when every probe never permits; anything else (a residual that may hold, an error, a
 * failure, a schema or template links the probe does not model) is false: it may be permitted.
 */
import type { CedarApi, CedarEntityUid } from './cedar-api.ts';

export type ProbedPolicy = { policies: string; schema: string | null; links?: readonly unknown[] };
export type ProbedRequest = { action: CedarEntityUid; resource: CedarEntityUid; entities: readonly unknown[] };
/** The context keys the caller always sends, and those it sends only sometimes (at most 4). */
export type ContextKeys = { always: readonly string[]; optional: readonly string[] };

export function neverPermits(cedar: CedarApi, policy: ProbedPolicy, request: ProbedRequest, keys: ContextKeys): boolean {
  // a schema (action groups, typed parsing) and template links are not part of the probe
  if (policy.schema !== null || (policy.links?.length ?? 0) > 0 || keys.optional.length > 4) return false;
  for (let mask = 0; mask < 1 << keys.optional.length; mask++) {
    const context: Record<string, unknown> = {};
    const present = [...keys.always, ...keys.optional.filter((_, i) => (mask & (1 << i)) !== 0)];
    for (const key of present) context[key] = { __extn: { fn: 'unknown', arg: `context.${key}` } };
    let answer: ReturnType<CedarApi['isAuthorizedPartial']>;
    try {
      answer = cedar.isAuthorizedPartial({ principal: null, action: request.action, resource: request.resource, context, policies: { staticPolicies: policy.policies }, entities: [...request.entities] });
    } catch {
      return false;
    }
    if (answer.type !== 'residuals') return false;
    const { decision, errored, residuals } = answer.response;
    if (decision === 'deny') continue;
    if (decision === 'allow' || errored.length > 0) return false;
    for (const residual of Object.values(residuals)) {
      if (residual.effect === 'permit' && !residual.conditions.some(provablyFails)) return false;
    }
  }
  return true;
}

/** A condition that holds for no value of the unknowns. */
function provablyFails(condition: { kind: 'when' | 'unless'; body: unknown }): boolean {
  return condition.kind === 'when' ? chainHolds(condition.body, '&&', false) : chainHolds(condition.body, '||', true);
}

/** Whether the literal `value` is one of the operands of the top-level `op` chain of `expr`. */
function chainHolds(expr: unknown, op: '&&' | '||', value: boolean, depth = 0): boolean {
  if (depth > 64 || typeof expr !== 'object' || expr === null) return false;
  const e = expr as Record<string, unknown>;
  if ('Value' in e) return e.Value === value;
  const pair = e[op] as { left?: unknown; right?: unknown } | undefined;
  return pair !== undefined && (chainHolds(pair.left, op, value, depth + 1) || chainHolds(pair.right, op, value, depth + 1));
}
