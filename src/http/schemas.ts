import { z } from 'zod';

const entity = z.strictObject({
  type: z.string().min(1).max(256),
  id: z.string().min(1).max(1024),
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
});

export const SESSION_ID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
export const BLOCK_ID = /^[0-9a-f]{32}$/;
