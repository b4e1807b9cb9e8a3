import { describe, expect, it } from 'vitest';
import { makeHarness } from '../../test/support/harness.ts';
import { HEAD_REFUSED } from './method-not-allowed.ts';
import { OPENAPI } from './openapi.ts';

// TRACE too over real HTTP (test/api-fuzz.test.ts): the Fetch API's Request refuses to build one
const METHODS = ['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS'];
const concrete = (path: string) =>
  path.replace('{session_id}', '00000000-0000-4000-8000-000000000000').replace('{block_id}', '0'.repeat(32));
/** What the document says a path is served with: its operations, and HEAD wherever GET is (but the ACD handshake). */
const documented = (ops: object, path: string) => {
  const m = Object.keys(ops).map((k) => k.toUpperCase());
  return (m.includes('GET') && !HEAD_REFUSED.includes(path) ? [...m, 'HEAD'] : m).sort();
};

describe('a known path under another method: 405 with Allow', () => {
  for (const [path, ops] of Object.entries(OPENAPI.paths)) {
    it(`${path}: every undocumented method is 405, Allow lists the documented ones`, async () => {
      const h = makeHarness();
      const allow = documented(ops, path);
      for (const method of METHODS) {
        const r = await h.call(method, concrete(path));
        if (allow.includes(method)) {
          expect(r.status, `${method} ${path}`).not.toBe(405);
          // a route took it (a handler's own 404 for an unknown id is fine; the router's is not)
          expect(String(r.json?.detail ?? ''), `${method} ${path}`).not.toMatch(/^no route for/);
          continue;
        }
        expect(r.status, `${method} ${path}`).toBe(405);
        expect(r.headers.get('allow'), `${method} ${path}`).toBe(allow.join(', '));
        expect(r.headers.get('content-type')).toBe('application/problem+json');
        if (method !== 'HEAD') expect(r.json).toMatchObject({ status: 405, code: 'METHOD_NOT_ALLOWED', title: 'method not allowed' });
      }
    });
  }

  it('unknown paths stay 404 without Allow, a trailing slash or a wrong depth included', async () => {
    const h = makeHarness();
    for (const path of ['/nope', '/healthz/', '/v1/sessions/x/y/z', '/v1/audit/blocks', '/v1', '/']) {
      for (const method of ['GET', 'OPTIONS', 'DELETE']) {
        const r = await h.call(method, path);
        expect(r.status, `${method} ${path}`).toBe(404);
        expect(r.json.code).toBe('NOT_FOUND');
        expect(r.headers.get('allow')).toBeNull();
      }
    }
  });

  it('Allow is read from the routes at each miss: a route added later counts, middleware does not', async () => {
    const h = makeHarness();
    h.app.use('*', async (_c, next) => next());
    h.app.delete('/healthz', (c) => c.body(null, 204));
    expect((await h.call('PATCH', '/healthz')).headers.get('allow')).toBe('DELETE, GET, HEAD');
    expect((await h.call('DELETE', '/healthz')).status).toBe(204);
    expect((await h.call('GET', '/nowhere')).status).toBe(404);
  });
});
