import { Hono } from 'hono';
import { ACD_MEDIA_TYPE } from '../../kernel/acd/acd-record.ts';
import { DomainError } from '../../kernel/errors.ts';
import type { Kernel } from '../../kernel/kernel.ts';
import { accepts } from '../accept.ts';
import { readJson } from '../body.ts';
import { problem } from '../errors.ts';
import { queryParam } from '../query.ts';
import { acdGrantBody, SESSION_ID } from '../schemas.ts';

/**
 * P3 (docs/acd.md): `GET /.well-known/soos-acd?aep_session_id=` answers the signed ACD Record
 * (`application/soos-acd+json`, 200) or the four-check refusal (403
 * `{"error":"ACD_CHECK_FAILED","failed_check","acd_session_id","timestamp"}`); the provider
 * reports its access decision with `POST /v1/acd/{acd_session_id}/grant`.
 */
export function acdHandshakeRoute(kernel: Kernel): Hono {
  const app = new Hono();
  app.get('/', async (c) => {
    // Hono answers HEAD with the GET route: a HEAD would run (and record) a handshake whose record
    // nobody receives, so it is refused before anything is recorded
    if (c.req.method === 'HEAD') return problem(c, new DomainError('METHOD_NOT_ALLOWED', '`HEAD /.well-known/soos-acd` is not served: a handshake is recorded; use GET'), { allow: 'GET' });
    if (!accepts(c.req.header('accept'), ACD_MEDIA_TYPE)) throw new DomainError('NOT_ACCEPTABLE', `the ACD Record is served as \`${ACD_MEDIA_TYPE}\`, which \`Accept\` excludes`);
    const id = queryParam(c, 'aep_session_id');
    if (id === undefined || !SESSION_ID.test(id)) throw new DomainError('INVALID_INPUT', '`aep_session_id` (the AEP session id, a lowercase UUID) is required');
    const answer = await kernel.acdHandshake(id, c.req.header('authorization'));
    // a record is for this provider only (ACD §7.5: never shared): no shared cache keeps it
    if (answer.ok) return c.body(answer.body, 200, { 'content-type': ACD_MEDIA_TYPE, 'cache-control': 'no-store' });
    return c.json(answer.body, 403, { 'cache-control': 'no-store' });
  });
  return app;
}

export function acdRoutes(kernel: Kernel): Hono {
  const app = new Hono();
  app.post('/:acd_session_id/grant', async (c) => {
    const id = c.req.param('acd_session_id');
    if (!SESSION_ID.test(id)) throw new DomainError('INVALID_INPUT', `\`acd_session_id\` must be a UUID, got \`${id.slice(0, 64)}\``);
    const body = await readJson(c, acdGrantBody);
    return c.json(await kernel.acdGrant(id, body, c.req.header('authorization')), 200);
  });
  return app;
}
