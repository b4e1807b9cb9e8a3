import { Hono, type Context } from 'hono';
import { CONSOLE_CSS, CONSOLE_JS } from './assets.generated.ts';
import { consolePage } from './page.ts';

/** What an entry gives the console beyond the kernel's routes. */
export type ConsoleOptions = {
  /**
   * The bytes of `wasm/kee_wasm_bg.wasm`, served to the browser for the Verify page (the same
   * module the kernel and the CLI verify with). Entries that hold only a compiled module
   * (workerd) leave it out: the Verify page then says so instead of verifying.
   */
  wasm?: Uint8Array;
  /**
   * Where a runtime that holds only a compiled module (workerd) has the platform serve the same
   * bytes: the Worker's static assets (`[assets]` in wrangler.toml, binding `ASSETS`), which
   * answer `/console/assets/kee_wasm_bg.wasm` before the Worker runs; a request that still
   * reaches the Worker is handed to them. Neither this nor `wasm`: the Verify page says the
   * runtime does not serve the module and points to the CLI.
   */
  wasmAsset?: { fetch(request: Request): Promise<Response> };
};

/**
 * Strict CSP: scripts, styles and connections only from the kernel itself, no inline code, WASM
 * compilation allowed (the verifier), no framing.
 */
export const CONSOLE_CSP = [
  "default-src 'none'",
  "script-src 'self' 'wasm-unsafe-eval'",
  "style-src 'self'",
  "img-src 'self' data:",
  "connect-src 'self'",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
].join('; ');

function secure(c: Context): void {
  c.header('content-security-policy', CONSOLE_CSP);
  c.header('x-content-type-options', 'nosniff');
  c.header('referrer-policy', 'no-referrer');
  c.header('x-frame-options', 'DENY');
  c.header('cache-control', 'no-cache');
}

/**
 * The web console (docs/console.md) at `/console`: one HTML page, its script and stylesheet
 * (built from `console/` into `assets.generated.ts`), and the Kee WASM module. The console holds
 * no key and no data of its own: the browser reads the kernel's HTTP API with the operator token
 * the person signs in with.
 */
export function consoleRoutes(options: ConsoleOptions): Hono {
  const app = new Hono();
  const page = (c: Context) => {
    secure(c);
    return c.html(consolePage({ wasm: options.wasm !== undefined || options.wasmAsset !== undefined }));
  };
  app.get('/', page);
  app.get('/assets/console.js', (c) => {
    secure(c);
    return c.body(CONSOLE_JS, 200, { 'content-type': 'text/javascript; charset=utf-8' });
  });
  app.get('/assets/console.css', (c) => {
    secure(c);
    return c.body(CONSOLE_CSS, 200, { 'content-type': 'text/css; charset=utf-8' });
  });
  app.get('/assets/kee_wasm_bg.wasm', async (c) => {
    secure(c);
    if (!options.wasm && options.wasmAsset) {
      const res = await options.wasmAsset.fetch(c.req.raw);
      return new Response(res.body, { status: res.status, headers: { 'content-type': res.headers.get('content-type') ?? 'application/wasm', 'x-content-type-options': 'nosniff', 'cache-control': 'no-cache' } });
    }
    if (!options.wasm) return c.body('this runtime does not serve the WASM module\n', 404, { 'content-type': 'text/plain; charset=utf-8' });
    return c.body(options.wasm as Uint8Array<ArrayBuffer>, 200, { 'content-type': 'application/wasm' });
  });
  return app;
}
