import type { Context, MiddlewareHandler } from 'hono';
import type { HolderProof } from './holder-proof.ts';
import type { Intent } from './intent.ts';
import type { CredentialClaims, Verification } from './verify-credential.ts';

export type KeeCredentialVariables = { keeCredential: CredentialClaims };

/**
 * Hono middleware guarding a route with a Kee credential (`Authorization: Bearer <credential>`,
 * or `Authorization: DPoP <credential>` with a `DPoP` proof when the credential carries `cnf.jkt`).
 * `intent` maps the request actually received to the `{principal, action, resource, context}`
 * the kernel authorized; a refusal answers 401 (no credential) or 403 with `{code, message}`,
 * and an accepted credential's claims are `c.get('keeCredential')`.
 *
 * @example
 * app.get('/files/:id', keeCredential({ verifier, intent: (c) => ({ principal: …, action: { type: 'Action', id: 'read' }, resource: { type: 'File', id: c.req.param('id') }, context: {} }) }), handler);
 */
export function keeCredential(options: {
  verifier: { verify(token: string, intent: Intent, proof?: HolderProof): Promise<Verification> };
  intent: (c: Context) => Intent | Promise<Intent>;
}): MiddlewareHandler<{ Variables: KeeCredentialVariables }> {
  return async function keeCredentialMiddleware(c, next) {
    const auth = c.req.header('authorization') ?? '';
    const m = /^(Bearer|DPoP)\s+([A-Za-z0-9_.-]+)$/i.exec(auth.trim());
    if (!m) {
      c.header('www-authenticate', 'Bearer error="invalid_request"');
      return c.json({ code: 'CREDENTIAL_MISSING', message: 'a Kee credential is required: `Authorization: Bearer <credential>`' }, 401);
    }
    const v = await options.verifier.verify(m[2] as string, await options.intent(c), { dpop: c.req.header('dpop'), method: c.req.method, url: c.req.url });
    if (!v.ok) {
      const scheme = v.code === 'PROOF_MISSING' || v.code === 'PROOF_INVALID' ? 'DPoP algs="EdDSA"' : 'Bearer';
      c.header('www-authenticate', `${scheme} error="invalid_token", error_description="${v.code}"`);
      return c.json({ code: v.code, message: v.reason }, 403);
    }
    c.set('keeCredential', v.claims);
    await next();
  };
}
