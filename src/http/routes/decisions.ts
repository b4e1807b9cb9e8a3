import { Hono } from 'hono';
import type { Kernel } from '../../kernel/kernel.ts';
import { toAuthorizationRequest } from '../authorize-request.ts';
import { readJson } from '../body.ts';
import { authorizeBatchBody, authorizeBody, MAX_BATCH_BYTES } from '../schemas.ts';

/**
 * One-shot decisions (`/v1/authorize`): the body and answer of `POST /v1/sessions/{id}/authorize`
 * without a session to manage; each decision is recorded in its principal's kernel-managed
 * session, named in the answer (`session_id`, `block_id`) so its audit package can be fetched
 * once that session is closed.
 */
export function decisionRoutes(kernel: Kernel): Hono {
  const app = new Hono();

  app.post('/', async (c) => {
    const body = await readJson(c, authorizeBody);
    const [result] = await kernel.authorizeOneShot([toAuthorizationRequest(body)]);
    return c.json(result, 200);
  });

  app.post('/batch', async (c) => {
    const body = await readJson(c, authorizeBatchBody, MAX_BATCH_BYTES);
    return c.json({ results: await kernel.authorizeOneShot(body.requests.map(toAuthorizationRequest)) }, 200);
  });

  return app;
}
