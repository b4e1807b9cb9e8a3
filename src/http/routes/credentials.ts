import { Hono, type Context } from 'hono';
import { DomainError } from '../../kernel/errors.ts';
import type { Kernel } from '../../kernel/kernel.ts';
import { MAX_BODY_BYTES, readBody, readJson } from '../body.ts';
import { revocationFeed } from './revocations.ts';
import { credentialTokenBody } from '../schemas.ts';

/**
 * Intent-bound credentials (docs/credentials.md): RFC 7662 introspection, RFC 7009 revocation
 * and the revocation feed resource providers poll. TO BE PROTECTED: these answer anyone until
 * operator authentication lands.
 */
export function credentialRoutes(kernel: Kernel): Hono {
  const app = new Hono();

  app.post('/introspect', async (c) => c.json(await kernel.introspect(await readToken(c)), 200));

  app.post('/revoke', async (c) => {
    await kernel.revokeCredential(await readToken(c));
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
    const form = new URLSearchParams(new TextDecoder().decode(await readBody(c.req.raw, MAX_BODY_BYTES)));
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
