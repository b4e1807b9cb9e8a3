import type { AuthorizationRequest, Session } from '../types.ts';
import { hemFacts, type Escalation } from './escalation.ts';
import type { HemService } from './hem-service.ts';

/**
 * Context keys only the kernel may fill: `hem` (the facts of a human escalation) and the legacy
 * `human_approval` flag. Whatever an agent sends under them is discarded before evaluation, so
 * no policy can be satisfied by an agent's own claim of a human decision.
 */
export const KERNEL_CONTEXT_KEYS = ['hem', 'human_approval'] as const;

/**
 * The requests as the engine decides them: the kernel-only context keys dropped, and for a
 * retry naming a `hem_id` the escalation's verified facts put under `context.hem`
 * (`{id, class, resolution, approver}`) from the kernel's own HEM records. A `hem_id` of
 * another session, agent or intent is refused (HEM_MISMATCH), an unknown one NOT_FOUND.
 */
export async function withHemFacts(service: HemService, session: Session, requests: readonly AuthorizationRequest[]): Promise<{ requests: AuthorizationRequest[]; retries: (Escalation | null)[] }> {
  const out: AuthorizationRequest[] = [];
  const retries: (Escalation | null)[] = [];
  for (const request of requests) {
    const context = { ...request.context };
    for (const key of KERNEL_CONTEXT_KEYS) delete context[key];
    if (request.hem_id === undefined) {
      out.push({ ...request, context });
      retries.push(null);
      continue;
    }
    const escalation = await service.forRetry(session, request);
    out.push({ ...request, context: { ...context, hem: hemFacts(escalation) } });
    retries.push(escalation);
  }
  return { requests: out, retries };
}
