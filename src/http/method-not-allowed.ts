import type { Context, Hono } from 'hono';
import { DomainError } from '../kernel/errors.ts';
import { problem } from './errors.ts';

/**
 * The methods `app` serves at `path`, asked of the app's own router (so the answer cannot drift
 * from the routes): every method some route is registered for, plus `HEAD` wherever `GET` is
 * served (Hono answers `HEAD` with the `GET` route), except the `HEAD_REFUSED` paths. Middleware (`app.use`, method `ALL`) does
 * not count: it serves no resource. Empty when no route has the path.
 */
export function allowedMethods(app: Hono, path: string): string[] {
  if (HEAD_REFUSED.includes(path)) return allowedMethodsOf(app, path).filter((m) => m !== 'HEAD');
  return allowedMethodsOf(app, path);
}

/**
 * Paths whose GET route refuses `HEAD` (405): the ACD handshake records every query, so a
 * `HEAD` would record (and may issue) a record nobody receives (docs/acd.md).
 */
export const HEAD_REFUSED: readonly string[] = ['/.well-known/soos-acd'];

function allowedMethodsOf(app: Hono, path: string): string[] {
  const methods = new Set(app.routes.map((r) => r.method).filter((m) => m !== 'ALL'));
  const allowed = [...methods].filter((method) => app.router.match(method, path)[0].some(([[, route]]) => route.method === method));
  if (allowed.includes('GET')) allowed.push('HEAD');
  return allowed.sort();
}

/**
 * The answer for a request no route took: `405 METHOD_NOT_ALLOWED` with `Allow` when the path
 * is served under other methods (RFC 9110 §15.5.6), else `404 NOT_FOUND`. Use as
 * `app.notFound(notFoundOrNotAllowed(app))` once every route is registered or later: the
 * routes are read at each miss.
 *
 * @example
 * app.notFound(notFoundOrNotAllowed(app)); // TRACE /healthz -> 405, Allow: GET, HEAD
 */
export function notFoundOrNotAllowed(app: Hono): (c: Context) => Response {
  return function notFoundOrNotAllowed(c) {
    const path = c.req.path;
    const shown = `\`${c.req.method.slice(0, 32)} ${path.slice(0, 256)}\``;
    const allow = allowedMethods(app, path);
    if (allow.length === 0) return problem(c, new DomainError('NOT_FOUND', `no route for ${shown}`));
    return problem(c, new DomainError('METHOD_NOT_ALLOWED', `${shown} is not served; allowed: ${allow.join(', ')}`), { allow: allow.join(', ') });
  };
}
