import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { buildConsoleAssets, buildConsoleFiles, CONSOLE_ASSETS_FILE, WORKER_ASSET_FILES } from '../scripts/console-assets.ts';
import { createApp } from '../src/app.ts';
import { createAppCore } from '../src/app-core.ts';
import { CONSOLE_CSS, CONSOLE_JS } from '../src/console/assets.generated.ts';
import { CONSOLE_CSP } from '../src/console/routes.ts';
import { makeHarness } from './support/harness.ts';

describe('the web console assets', () => {
  it('src/console/assets.generated.ts and the Worker static-asset copies are what console/src builds to (`npm run build:console`)', async () => {
    const files = await buildConsoleFiles();
    expect(await buildConsoleAssets(files)).toBe(readFileSync(CONSOLE_ASSETS_FILE, 'utf8'));
    expect(readFileSync(WORKER_ASSET_FILES.js, 'utf8')).toBe(files.js);
    expect(readFileSync(WORKER_ASSET_FILES.css, 'utf8')).toBe(files.css);
  }, 60_000);

  it('every console answer carries the CSP; the WASM module only where the entry gives it', async () => {
    const h = makeHarness();
    const bytes = new Uint8Array([0, 97, 115, 109, 1, 0, 0, 0]);
    const withWasm = createApp(h.kernel, { console: { wasm: bytes } });
    for (const path of ['/console', '/console/assets/console.js', '/console/assets/console.css', '/console/assets/kee_wasm_bg.wasm']) {
      const res = await withWasm.request(`http://kee.test${path}`);
      expect(res.status, path).toBe(200);
      expect(res.headers.get('content-security-policy'), path).toBe(CONSOLE_CSP);
      expect(res.headers.get('x-content-type-options'), path).toBe('nosniff');
    }
    const wasm = await withWasm.request('http://kee.test/console/assets/kee_wasm_bg.wasm');
    expect(wasm.headers.get('content-type')).toBe('application/wasm');
    expect(new Uint8Array(await wasm.arrayBuffer())).toEqual(bytes);
    const page = await (await withWasm.request('http://kee.test/console')).text();
    // no inline script or style, nothing from another origin
    expect(page).not.toMatch(/<script>|<style|style=|https?:\/\//);
    expect((await h.app.request('http://kee.test/console/assets/kee_wasm_bg.wasm')).status).toBe(404);
    expect(await (await h.app.request('http://kee.test/console')).text()).toContain('data-wasm="absent"');
  });

  it('a Worker: the module comes from its static assets (the ASSETS binding), the page says it is served', async () => {
    const h = makeHarness();
    const bytes = new Uint8Array([0, 97, 115, 109, 1, 0, 0, 0]);
    const asked: string[] = [];
    const wasmAsset = {
      fetch: async (req: Request) => {
        asked.push(new URL(req.url).pathname);
        return new Response(bytes, { headers: { 'content-type': 'application/wasm' } });
      },
    };
    const app = createApp(h.kernel, { console: { staticAssets: wasmAsset } });
    expect(await (await app.request('http://kee.test/console')).text()).toContain('data-wasm="served"');
    const wasm = await app.request('http://kee.test/console/assets/kee_wasm_bg.wasm');
    expect(wasm.status).toBe(200);
    expect(wasm.headers.get('content-type')).toBe('application/wasm');
    expect(wasm.headers.get('x-content-type-options')).toBe('nosniff');
    expect(new Uint8Array(await wasm.arrayBuffer())).toEqual(bytes);
    expect(asked).toEqual(['/console/assets/kee_wasm_bg.wasm']);
  });

  it('a Worker (`createAppCore`, no built assets in its bundle): script and stylesheet from its static assets, under the console headers', async () => {
    const h = makeHarness();
    const asked: string[] = [];
    const staticAssets = {
      fetch: async (req: Request) => {
        const path = new URL(req.url).pathname;
        asked.push(path);
        return new Response(path.endsWith('.js') ? CONSOLE_JS : CONSOLE_CSS, { headers: { 'content-type': path.endsWith('.js') ? 'text/javascript' : 'text/css' } });
      },
    };
    const app = createAppCore(h.kernel, { console: { staticAssets } });
    for (const [path, text] of [['/console/assets/console.js', CONSOLE_JS], ['/console/assets/console.css', CONSOLE_CSS]] as const) {
      const res = await app.request(`http://kee.test${path}`);
      expect(res.status, path).toBe(200);
      expect(res.headers.get('content-security-policy'), path).toBe(CONSOLE_CSP);
      expect(await res.text(), path).toBe(text);
    }
    expect(asked).toEqual(['/console/assets/console.js', '/console/assets/console.css']);
    // without static assets nor built ones: 404, not an empty script
    expect((await createAppCore(h.kernel).request('http://kee.test/console/assets/console.js')).status).toBe(404);
    // what the platform serves before the Worker runs carries the same CSP (worker-assets/_headers)
    expect(readFileSync(new URL('../worker-assets/_headers', import.meta.url), 'utf8')).toContain(`Content-Security-Policy: ${CONSOLE_CSP}\n`);
  });
});
