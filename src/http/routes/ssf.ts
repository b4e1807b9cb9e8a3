import { Hono, type Context } from 'hono';
import { DomainError } from '../../kernel/errors.ts';
import type { Kernel } from '../../kernel/kernel.ts';
import { MAX_BODY_BYTES, readJson, requestBody } from '../body.ts';
import { requireRole, type OperatorEnv } from '../operator-auth.ts';
import { queryParam } from '../query.ts';
import { ssfPollBody, ssfStatusBody, ssfStreamBody, ssfVerifyBody } from '../schemas.ts';

/** The origin the request reached (the SSF endpoints are named under it). */
const origin = (c: Context) => new URL(c.req.url).origin;

const streamId = (c: Context) => {
  const id = queryParam(c, 'stream_id');
  if (id === undefined) throw new DomainError('INVALID_INPUT', 'query parameter `stream_id` is required');
  return id;
};

/**
 * OpenID Shared Signals Framework 1.0 (docs/revocation.md): the transmitter's configuration
 * metadata, stream management, status and verification (operator role `operator`), RFC 8936
 * poll delivery (operator), and the receiver's RFC 8935 push endpoint (`/ssf/push`,
 * authenticated by the SET's signature against a configured transmitter's JWKS).
 */
export function ssfRoutes(kernel: Kernel): Hono<OperatorEnv> {
  const app = new Hono<OperatorEnv>();
  const operator = requireRole(kernel, 'operator');
  const t = kernel.revocation.transmitter;

  app.get('/.well-known/ssf-configuration', (c) => c.json(kernel.revocation.configuration(origin(c)), 200));

  app.post('/ssf/streams', operator, async (c) => c.json(await t.createStream(await readJson(c, ssfStreamBody), origin(c), c.var.operator.subject), 201));
  app.get('/ssf/streams', operator, async (c) => {
    const id = queryParam(c, 'stream_id');
    return c.json(id === undefined ? await t.listStreams() : await t.readStream(id), 200);
  });
  app.patch('/ssf/streams', operator, async (c) => {
    const body = await readJson(c, ssfStreamBody);
    return c.json(await t.updateStream(idOf(body.stream_id), body, origin(c), false), 200);
  });
  app.put('/ssf/streams', operator, async (c) => {
    const body = await readJson(c, ssfStreamBody);
    return c.json(await t.updateStream(idOf(body.stream_id), body, origin(c), true), 200);
  });
  app.delete('/ssf/streams', operator, async (c) => {
    await t.deleteStream(streamId(c));
    return c.body(null, 204);
  });

  app.get('/ssf/status', operator, async (c) => c.json(await t.status(streamId(c)), 200));
  app.post('/ssf/status', operator, async (c) => {
    const body = await readJson(c, ssfStatusBody);
    return c.json(await t.setStatus(body.stream_id, body.status, body.reason), 200);
  });
  app.post('/ssf/verify', operator, async (c) => {
    const body = await readJson(c, ssfVerifyBody);
    await t.verify(body.stream_id, body.state);
    return c.body(null, 204);
  });

  app.post('/ssf/poll/:stream_id', operator, async (c) => c.json(await t.poll(c.req.param('stream_id'), await readJson(c, ssfPollBody)), 200));

  // RFC 8935 §2: a SET is `application/secevent+jwt`; 202 once applied. Errors are problem+json
  // (400 INVALID_INPUT) whose `facts.err` is the RFC 8935 §2.3 error code.
  app.post('/ssf/push', async (c) => {
    if (!/^application\/secevent\+jwt\b/i.test(c.req.header('content-type') ?? '')) throw new DomainError('UNSUPPORTED_MEDIA_TYPE', 'the body must be `application/secevent+jwt`');
    await kernel.receiveSet(new TextDecoder().decode(await requestBody(c, MAX_BODY_BYTES)).trim());
    return c.body(null, 202);
  });

  return app;
}

function idOf(id: string | undefined): string {
  if (id === undefined) throw new DomainError('INVALID_INPUT', '`stream_id` is required');
  return id;
}
