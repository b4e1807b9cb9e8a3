import { Hono, type Context } from 'hono';
import type { RevocationInput } from '../../kernel/credentials/revocations.ts';
import { DomainError } from '../../kernel/errors.ts';
import type { Kernel } from '../../kernel/kernel.ts';
import { readJson } from '../body.ts';
import { requireRole, type OperatorEnv } from '../operator-auth.ts';
import { queryParam } from '../query.ts';
import { revocationBody } from '../schemas.ts';

/**
 * The revocation registry (docs/revocation.md): operators add entries (`POST`, role
 * `operator`); the feed (`GET ?since=`) is what resource providers' verifiers poll, open like
 * `/v1/credentials/revocations`, its alias; the events this kernel originated, with their
 * completion states (`GET /events`, roles `operator` and `auditor`).
 */
export function revocationRoutes(kernel: Kernel): Hono<OperatorEnv> {
  const app = new Hono<OperatorEnv>();
  app.post('/', requireRole(kernel, 'operator'), async (c) => {
    const body = await readJson(c, revocationBody);
    const entry = await kernel.revoke(body as RevocationInput, c.var.operator.subject);
    return c.json(entry, 201);
  });
  app.get('/', (c) => revocationFeed(c, kernel));
  app.get('/events', requireRole(kernel, 'operator', 'auditor'), async (c) => c.json({ events: await kernel.revocationEvents() }, 200, { 'cache-control': 'no-store' }));
  return app;
}

/** `GET …/revocations?since=`: the feed page after `since`. */
export async function revocationFeed(c: Context, kernel: Kernel): Promise<Response> {
  const since = queryParam(c, 'since') ?? '0';
  if (!/^\d{1,16}$/.test(since) || !Number.isSafeInteger(Number(since))) {
    throw new DomainError('INVALID_INPUT', `query parameter \`since\` must be an integer from 0 to ${Number.MAX_SAFE_INTEGER}`);
  }
  return c.json(await kernel.revocationFeed(Number(since)), 200, { 'cache-control': 'no-store' });
}
