/**
 * A resource provider guarded by Kee credentials, on workerd. `GET /datasets/{id}` answers only
 * an agent holding a credential for exactly this request: principal `Agent::"<X-Agent-Id>"`,
 * action `Action::"read"`, resource `Dataset::"<id>"`, empty context, audience this provider.
 */
import { Hono } from 'hono';
import { createCredentialVerifier, keeCredential, type KeeCredentialVariables } from 'kee/verifier';

type Bindings = { KEE_URL?: string; KEE_ISSUER?: string; PROVIDER_AUDIENCE?: string; KEE_POLL_SECONDS?: string };

let verifier: ReturnType<typeof createCredentialVerifier> | null = null;

/** One verifier per isolate: it keeps the kernel's JWKS and revocation feed between requests. */
function verifierFor(env: Bindings) {
  if (!env.KEE_URL || !env.KEE_ISSUER || !env.PROVIDER_AUDIENCE) throw new Error('set KEE_URL, KEE_ISSUER and PROVIDER_AUDIENCE (wrangler.toml [vars], .dev.vars or --var)');
  verifier ??= createCredentialVerifier({
    kernelUrl: env.KEE_URL,
    issuer: env.KEE_ISSUER,
    audience: env.PROVIDER_AUDIENCE,
    ...(env.KEE_POLL_SECONDS ? { pollSeconds: Number(env.KEE_POLL_SECONDS) } : {}),
  });
  return verifier;
}

const app = new Hono<{ Bindings: Bindings; Variables: KeeCredentialVariables }>();

app.get('/healthz', (c) => c.json({ status: 'ok' }));

app.get(
  '/datasets/:id',
  (c, next) => keeCredential({
    verifier: verifierFor(c.env),
    // the request received, as the kernel must have authorized it
    intent: (ctx) => ({
      principal: { type: 'Agent', id: ctx.req.header('x-agent-id') ?? '' },
      action: { type: 'Action', id: 'read' },
      resource: { type: 'Dataset', id: ctx.req.param('id') ?? '' },
      context: {},
    }),
  })(c, next),
  (c) => {
    const credential = c.get('keeCredential');
    return c.json({ dataset: c.req.param('id'), readings: [4.1, 4.3, 7.2], authorized_by: { jti: credential.jti, xpid: credential.sub, ale_seq: credential.ale_seq, block_id: credential.block_id } });
  },
);

app.onError((err, c) => c.json({ code: 'PROVIDER_MISCONFIGURED', message: err.message }, 503));

export default app;
