import { Hono } from 'hono';
import type { Kernel } from '../../kernel/kernel.ts';
import { withDpopChallenge } from '../agent-auth.ts';
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

  // under KEE_AUTH=agents one-shot decisions are refused (401): agents authenticate through sessions
  app.post('/', (c) =>
    withDpopChallenge(c, async () => {
      const body = await readJson(c, authorizeBody);
      const [result] = await kernel.authorizeOneShot([toAuthorizationRequest(body)]);
      return c.json(result, 200);
    }),
  );

  app.post('/batch', (c) =>
    withDpopChallenge(c, async () => {
      const body = await readJson(c, authorizeBatchBody, MAX_BATCH_BYTES);
      return c.json({ results: await kernel.authorizeOneShot(body.requests.map(toAuthorizationRequest)) }, 200);
    }),
  );

  return app;
}
