import type { output } from './zod.ts';
import type { AuthorizationRequest, CedarEntity, Json } from '../kernel/types.ts';
import type { authorizeBody } from './schemas.ts';

/** A validated authorize body as the kernel takes it (no `entities` key when none were sent). */
export function toAuthorizationRequest(body: output<typeof authorizeBody>): AuthorizationRequest {
  const { entities, ...rest } = body;
  return { ...rest, context: body.context as Record<string, Json>, ...(entities ? { entities: entities as CedarEntity[] } : {}) };
}
