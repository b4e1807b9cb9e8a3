import { expect, it } from 'vitest';
import { makeHarness } from '../../test/support/harness.ts';
import { OPENAPI } from './openapi.ts';

it('documents every route the app serves, and serves the document', async () => {
  const h = makeHarness();
  const served = h.app.routes
    .filter((r) => r.method !== 'ALL')
    .map((r) => `${r.method.toLowerCase()} ${r.path.replace(/:(\w+)/g, '{$1}').replace(/\/$/, '')}`);
  const documented = Object.entries(OPENAPI.paths).flatMap(([path, ops]) => Object.keys(ops).map((m) => `${m} ${path}`));
  expect(new Set(served)).toEqual(new Set(documented));
  const res = await h.call('GET', '/openapi.json');
  expect(res.json.openapi).toBe('3.1.0');
});
