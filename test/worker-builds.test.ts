import { describe, expect, it } from 'vitest';
import { createWorker, NO_CEDAR_BUILD } from '../src/entry/worker-app.ts';

describe('the default Worker build, which does not carry cedar-wasm', () => {
  it('answers 503 naming the cedar build when KEE_POLICY_ENGINE=cedar-wasm', async () => {
    const worker = createWorker({ keeModule: new WebAssembly.Module(new Uint8Array([0, 97, 115, 109, 1, 0, 0, 0])), cedar: null });
    const res = await worker.fetch(new Request('http://kee/healthz'), { DB: {}, KEE_POLICY_ENGINE: 'cedar-wasm', KEE_SIGNING_KEY: '42'.repeat(32) }, {});
    expect(res.status).toBe(503);
    expect(await res.json()).toEqual({ code: 'UNAVAILABLE', message: `the kernel cannot start: ${NO_CEDAR_BUILD}` });
    expect(NO_CEDAR_BUILD).toContain('wrangler deploy --env cedar');
  });
});
