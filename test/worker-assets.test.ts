import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { OPENAPI_ASSET_FILE, openapiAsset } from '../scripts/worker-assets.ts';
import { createApp } from '../src/app.ts';
import { createAppCore } from '../src/app-core.ts';
import { makeHarness } from './support/harness.ts';

describe("the Worker's static assets (worker-assets/)", () => {
  it('openapi.json is the document the other runtimes serve (`npm run build:worker-assets` after a change to src/http/openapi*.ts)', async () => {
    const h = makeHarness();
    const served = await (await createApp(h.kernel).request('http://kee.test/openapi.json')).text();
    expect(readFileSync(OPENAPI_ASSET_FILE, 'utf8'), 'worker-assets/openapi.json is stale: run `npm run build:worker-assets`').toBe(openapiAsset());
    expect(openapiAsset()).toBe(`${served}\n`);
  });

  it("a Worker's app (`createAppCore`): /openapi.json from its static assets; without them, 404", async () => {
    const h = makeHarness();
    const asked: string[] = [];
    const staticAssets = {
      fetch: async (req: Request) => {
        asked.push(new URL(req.url).pathname);
        return new Response(openapiAsset(), { headers: { 'content-type': 'application/json' } });
      },
    };
    const res = await createAppCore(h.kernel, { staticAssets }).request('http://kee.test/openapi.json');
    expect(res.status).toBe(200);
    expect(((await res.json()) as { paths: Record<string, unknown> }).paths['/v1/sessions/{session_id}/authorize']).toBeDefined();
    expect(asked).toEqual(['/openapi.json']);
    const none = await createAppCore(h.kernel).request('http://kee.test/openapi.json');
    expect(none.status).toBe(404);
    expect(((await none.json()) as { code: string }).code).toBe('NOT_FOUND');
  });
});
