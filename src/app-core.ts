import { ptdRoutes } from './http/routes/ptd.ts';
import { Hono } from 'hono';
import type { Kernel } from './kernel/kernel.ts';
import { DomainError } from './kernel/errors.ts';
import type { Json } from './kernel/types.ts';
import { toProblem } from './http/errors.ts';
import { renderMetrics, PROMETHEUS_CONTENT_TYPE } from './http/metrics.ts';
import { notFoundOrNotAllowed } from './http/method-not-allowed.ts';
import { acdHandshakeRoute, acdRoutes } from './http/routes/acd.ts';
import { agentRoutes } from './http/routes/agents.ts';
import { hemRoutes } from './http/routes/hem.ts';
import { auditRoutes } from './http/routes/audit.ts';
import { capProfileRoutes } from './http/routes/cap-profile.ts';
import { credentialRoutes } from './http/routes/credentials.ts';
import { decisionRoutes } from './http/routes/decisions.ts';
import { decisionStreamRoutes } from './http/routes/decision-stream.ts';
import { consoleRoutes, type ConsoleOptions } from './console/routes.ts';
import { manifestRoutes } from './http/routes/manifest.ts';
import { partyRegistryRoutes } from './http/routes/party-registry.ts';
import { revocationRoutes } from './http/routes/revocations.ts';
import { sessionRoutes } from './http/routes/sessions.ts';
import { ssfRoutes } from './http/routes/ssf.ts';
import { xpidRoutes } from './http/routes/xpid.ts';

/** What an entry gives the HTTP face beside the kernel. */
export type AppOptions = {
  console?: ConsoleOptions;
  /** The OpenAPI document served at `/openapi.json` (`http/openapi.ts`); a Worker leaves it out. */
  openapi?: object;
  /**
   * A Worker's static assets (binding `ASSETS`, worker-assets/), which serve `/openapi.json` and
   * the console's files the entry leaves out of its bundle; a request for them that still reaches
   * the Worker is handed to them.
   */
  staticAssets?: { fetch(request: Request): Promise<Response> };
};

/**
 * The HTTP face of the kernel, identical on every runtime. Routes validate input and call the
 * kernel; every error leaves as `application/problem+json` with a stable `code`. The OpenAPI
 * document and the console's script and stylesheet come from `options` (`createApp` in app.ts
 * gives the built ones; a Worker has its static assets serve them, so its bundle does not carry
 * them: `staticAssets`).
 */
export function createAppCore(kernel: Kernel, options: AppOptions = {}): Hono {
  const app = new Hono();
  // clustered: 503 (with the state) while the node is not SERVING, so a load balancer tells
  // "reachable but denying everything" from "down" (no answer) and from "serving" (200)
  app.get('/healthz', (c) => {
    const health = kernel.health();
    const node = health.cluster;
    if (node && node.state !== 'SERVING') {
      const named = node.state === 'DENY_ALL' ? `DENY_ALL(${node.reason ?? ''})` : node.state;
      throw new DomainError('UNAVAILABLE', `policy cluster node is ${named}: every decision is denied${node.detail ? `: ${node.detail}` : ''}`, {
        facts: { state: health.state, cluster: node as unknown as Json, conditions: health.conditions },
      });
    }
    return c.json(health);
  });
  app.get('/openapi.json', (c) => {
    if (options.openapi) return c.json(options.openapi);
    if (options.staticAssets) return options.staticAssets.fetch(c.req.raw);
    throw new DomainError('NOT_FOUND', 'this runtime does not serve the OpenAPI document');
  });
  app.get('/metrics', (c) => c.body(renderMetrics(kernel.metricsSnapshot()), 200, { 'content-type': PROMETHEUS_CONTENT_TYPE }));
  app.get('/v1/kernel/public-key', (c) => c.json(kernel.publicKey()));
  app.get('/.well-known/jwks.json', (c) => c.body(JSON.stringify(kernel.jwks()), 200, { 'content-type': 'application/jwk-set+json' }));
  app.route('/v1/sessions', sessionRoutes(kernel));
  app.route('/v1/authorize', decisionRoutes(kernel));
  app.route('/v1/audit', auditRoutes(kernel));
  app.route('/v1/cap-profile', capProfileRoutes(kernel));
  app.route('/v1/manifest', manifestRoutes(kernel));
  app.route('/v1/party-registry', partyRegistryRoutes(kernel));
  app.route('/v1/xpid', xpidRoutes(kernel));
  app.route('/v1/agents', agentRoutes(kernel));
  app.route('/v1/hem', hemRoutes(kernel));
  app.route('/v1/credentials', credentialRoutes(kernel));
  app.route('/v1/revocations', revocationRoutes(kernel));
  app.route('/', ssfRoutes(kernel));
  app.route('/.well-known/soos-acd', acdHandshakeRoute(kernel));
  app.route('/v1/acd', acdRoutes(kernel));
  app.route('/v1/ptd', ptdRoutes(kernel));
  app.route('/v1/decisions', decisionStreamRoutes(kernel));
  app.route('/console', consoleRoutes({ ...(options.staticAssets ? { staticAssets: options.staticAssets } : {}), ...options.console }));
  // a known path under another method: 405 with Allow, derived from the routes above
  app.notFound(notFoundOrNotAllowed(app));
  app.onError((err, c) => toProblem(c, err));
  return app;
}
