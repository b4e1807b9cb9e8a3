import { Hono, type Context, type MiddlewareHandler } from 'hono';
import type { OperatorRole } from '../../kernel/auth/operator-roles.ts';
import { DomainError } from '../../kernel/errors.ts';
import type { Kernel } from '../../kernel/kernel.ts';
import { MAX_BODY_BYTES, readJson, requestBody } from '../body.ts';
import { withDpopChallenge } from '../agent-auth.ts';
import { requireRole, type OperatorEnv } from '../operator-auth.ts';
import { queryParam } from '../query.ts';
import { revocationFeed } from './revocations.ts';
import { credentialTokenBody } from '../schemas.ts';

/**
 * Intent-bound credentials (docs/credentials.md): RFC 7662 introspection, RFC 7009 revocation
 * and the revocation feed resource providers poll. Under KEE_AUTH=agents introspection needs an
 * operator token (role operator or auditor), revocation an operator token (role operator) or
 * the credential's holder proving its key (`Authorization: DPoP <credential>` and a DPoP proof);
 * the feed is public (it names only `jti`s, which say nothing without the credentials). Under
 * `none` all three answer anyone, as before authentication existed.
 */
export function credentialRoutes(kernel: Kernel): Hono<OperatorEnv> {
  const app = new Hono<OperatorEnv>();
  /** `requireRole` under KEE_AUTH=agents; open under `none`. */
  const operators = (...roles: OperatorRole[]): MiddlewareHandler<OperatorEnv> => {
    const check = requireRole(kernel, ...roles);
    return async (c, next) => (kernel.authMode === 'none' ? next() : check(c, next));
  };
  const revokers = operators('operator');
  const holder = (c: Context) => kernel.authMode === 'agents' && /^DPoP /i.test(c.req.header('authorization') ?? '');

  app.post('/introspect', operators('operator', 'auditor'), async (c) => c.json(await kernel.introspect(await readToken(c)), 200));

  app.post('/revoke', async (c, next) => (holder(c) ? next() : revokers(c, next)), async (c) => {
    const token = await readToken(c);
    if (holder(c)) {
      return withDpopChallenge(c, async () => {
        await kernel.revokeCredentialAsHolder(token, { authorization: c.req.header('authorization'), dpop: c.req.header('dpop'), method: c.req.method, url: c.req.url });
        return c.json({}, 200);
      });
    }
    await kernel.revokeCredential(token);
    // RFC 7009 §2.2: 200 whether or not the token was known or valid (the content is ignored)
    return c.json({}, 200);
  });

  // the alias of GET /v1/revocations
  app.get('/revocations', (c) => revocationFeed(c, kernel));

  return app;
}

/**
 * The `token` of an introspection or revocation request: the RFC's form encoding
 * (`application/x-www-form-urlencoded`) or the same fields as JSON.
 */
async function readToken(c: Context): Promise<string> {
  const type = c.req.header('content-type') ?? '';
  if (/^application\/x-www-form-urlencoded\b/i.test(type)) {
    const form = new URLSearchParams(new TextDecoder().decode(await requestBody(c, MAX_BODY_BYTES)));
    const fields: Record<string, string> = Object.create(null) as Record<string, string>;
    for (const [name, value] of form) {
      if (name in fields) throw new DomainError('INVALID_INPUT', `invalid request body: \`${name.slice(0, 64)}\` is given more than once`);
      fields[name] = value;
    }
    const parsed = credentialTokenBody.safeParse(fields);
    if (!parsed.success) throw new DomainError('INVALID_INPUT', `invalid request body: ${parsed.error.issues.map((i) => `\`${i.path.join('.') || '(body)'}\` ${i.message.toLowerCase()}`).join('; ')}`);
    return parsed.data.token;
  }
  return (await readJson(c, credentialTokenBody)).token;
}
