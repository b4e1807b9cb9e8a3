/**
 * A resource provider guarded by Kee credentials, on workerd. `GET /datasets/{id}` answers only
 * an agent holding a credential for exactly this request: principal `Agent::"<X-Agent-Id>"`,
 * action `Action::"read"`, resource `Dataset::"<id>"`, empty context, audience this provider.
 * `GET /regulated/{id}` also needs the agent's ACD Record (docs/acd.md): the provider asks the
 * kernel for it (the agent names its AEP session in `X-Aep-Session-Id`), runs the six
 * validations against the kernel's group key, caches it for that session, and reports its decision.
 * The key comes from the KIA Party Registry the kernel serves, verified against the publisher keys
 * this provider pins (`KEE_REGISTRY_PUBLISHERS`, docs/party-registry.md), or from `KEE_KIA_KEY`.
 */
import { Hono, type Context, type Next } from 'hono';
import { AcdRecordCache, createCredentialVerifier, fetchAcdRecord, fetchPartyRegistry, keeCredential, reportAcdDecision, validateAcdRecord, verifyPartyRegistry, type KeeCredentialVariables, type VerifiedPartyRegistry } from 'kee/verifier';

type Bindings = { KEE_URL?: string; KEE_ISSUER?: string; PROVIDER_AUDIENCE?: string; KEE_POLL_SECONDS?: string; KEE_KIA_KEY?: string; KEE_REGISTRY_PUBLISHERS?: string; ACD_JURISDICTION?: string };

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

/** One ACD cache per isolate (ACD §7.5: this provider's own, per AEP session, never shared). */
const acdCache = new AcdRecordCache({ maxFreshnessSeconds: 3600 });

/** The verified KIA Party Registry, per isolate, read again after five minutes. */
let registry: { value: VerifiedPartyRegistry; until: number } | null = null;

/** Where the key that must sign ACD Records comes from: the registry signed by ≥ 2 of the pinned publishers, else `KEE_KIA_KEY`. */
async function kernelKeySource(env: Bindings): Promise<{ partyRegistry: VerifiedPartyRegistry } | { kiaPublicKey: string }> {
  if (env.KEE_REGISTRY_PUBLISHERS && env.KEE_URL) {
    if (!registry || Date.now() >= registry.until) {
      const got = await fetchPartyRegistry(env.KEE_URL);
      if (!got.ok) throw new Error(`the kernel serves no party registry (${got.status})`);
      const v = await verifyPartyRegistry(got.jws, { publisherKeys: env.KEE_REGISTRY_PUBLISHERS.split(/[\s,]+/).filter(Boolean) });
      if (!v.ok) throw new Error(`the party registry is refused: ${v.code}: ${v.reason}`);
      registry = { value: v, until: Date.now() + 300_000 };
    }
    return { partyRegistry: registry.value };
  }
  if (env.KEE_KIA_KEY) return { kiaPublicKey: env.KEE_KIA_KEY };
  throw new Error('set KEE_REGISTRY_PUBLISHERS (the publisher keys, hex, comma-separated) or KEE_KIA_KEY (the kernel key, hex) for /regulated');
}

const datasetCredential = (c: Context<{ Bindings: Bindings; Variables: KeeCredentialVariables }>, next: Next) =>
  keeCredential({
    verifier: verifierFor(c.env),
    intent: (ctx) => ({
      principal: { type: 'Agent', id: ctx.req.header('x-agent-id') ?? '' },
      action: { type: 'Action', id: 'read' },
      resource: { type: 'Dataset', id: ctx.req.param('id') ?? '' },
      context: {},
    }),
  })(c, next);

app.get('/regulated/:id', datasetCredential, async (c) => {
  const credential = c.get('keeCredential');
  if (!c.env.KEE_URL) throw new Error('set KEE_URL for /regulated');
  const sid = c.req.header('x-aep-session-id') ?? '';
  let record = acdCache.get(sid);
  if (!record) {
    const got = await fetchAcdRecord(c.env.KEE_URL, sid);
    if (!got.ok) return c.json({ code: 'ACD_CHECK_FAILED', failed_check: got.failed_check }, 403);
    const v = await validateAcdRecord(got.body, { ...(await kernelKeySource(c.env)), expectedXpid: credential.sub, aepSessionId: sid, requirements: { jurisdiction: c.env.ACD_JURISDICTION ?? 'JP' } });
    const acdSessionId = (JSON.parse(got.body) as { acd_session_id: string }).acd_session_id;
    if (!v.ok) {
      await reportAcdDecision(c.env.KEE_URL, acdSessionId, { decision: 'DENIED', denial_reason: v.denial_reason, failed_layer: v.failed_layer, failed_field: v.failed_field });
      return c.json({ code: 'ACD_REFUSED', step: v.step, reason: v.reason }, 403);
    }
    acdCache.put(v.record);
    await reportAcdDecision(c.env.KEE_URL, acdSessionId, { decision: 'GRANTED' });
    record = v.record;
  }
  return c.json({ dataset: c.req.param('id'), readings: [4.1, 4.3, 7.2], authorized_by: { jti: credential.jti, xpid: credential.sub }, acd_session_id: record.acd_session_id, operator_id: record.operator_id });
});

app.onError((err, c) => c.json({ code: 'PROVIDER_MISCONFIGURED', message: err.message }, 503));

export default app;
