import { z } from 'zod';
import { entityGraphProblem } from './entity-graph.ts';

const entity = z.strictObject({
  type: z.string().min(1).max(256),
  id: z.string().min(1).max(1024),
});

/** Most entities one authorization request may carry (the 64 KiB body limit bounds their size). */
export const MAX_ENTITIES = 1000;
/** Most direct parents of one entity. */
export const MAX_PARENTS = 100;

/** One entity in Cedar's entity JSON format (attribute values may use `__entity` / `__extn`). */
const cedarEntity = z.strictObject({
  uid: entity,
  attrs: z.record(z.string(), z.json()).default({}),
  parents: z.array(entity).max(MAX_PARENTS).default([]),
});

const entities = z
  .array(cedarEntity)
  .max(MAX_ENTITIES)
  .superRefine((list, ctx) => {
    const seen = new Set<string>();
    list.forEach((e, i) => {
      const key = JSON.stringify([e.uid.type, e.uid.id]);
      if (seen.has(key)) ctx.addIssue({ code: 'custom', path: [i, 'uid'], message: `entity ${e.uid.type}::${JSON.stringify(e.uid.id)} appears twice` });
      seen.add(key);
    });
    if (list.length !== seen.size) return;
    const graph = entityGraphProblem(list);
    if (graph !== undefined) ctx.addIssue({ code: 'custom', path: [], message: graph });
  });

/** `POST /v1/sessions` */
export const openSessionBody = z.strictObject({
  agent_id: z.string().min(1).max(256),
});

/** `POST /v1/sessions/{session_id}/authorize` */
export const authorizeBody = z.strictObject({
  principal: entity,
  action: entity,
  resource: entity,
  context: z.record(z.string(), z.json()).default({}),
  entities: entities.optional(),
  /** The resource provider the PERMIT's credential is for (its `aud`). */
  audience: z.string().min(1).max(512).optional(),
});

export const SESSION_ID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
export const BLOCK_ID = /^[0-9a-f]{32}$/;

/** Most requests in one batch (`POST …/authorize/batch`). */
export const MAX_BATCH = 100;
/** Largest batch body: room for `MAX_BATCH` ordinary requests (a single request stays at 64 KiB). */
export const MAX_BATCH_BYTES = 1024 * 1024;

/** `POST /v1/sessions/{session_id}/authorize/batch`, `POST /v1/authorize/batch` */
export const authorizeBatchBody = z.strictObject({
  requests: z.array(authorizeBody).min(1).max(MAX_BATCH),
});

/** `POST /v1/credentials/introspect` (RFC 7662) and `POST /v1/credentials/revoke` (RFC 7009), as JSON. */
export const credentialTokenBody = z.strictObject({
  token: z.string().min(1).max(8192),
  token_type_hint: z.string().max(64).optional(),
});
