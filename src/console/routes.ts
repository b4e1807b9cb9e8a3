import { Hono, type Context } from 'hono';
import { consolePage } from './page.ts';

/** What an entry gives the console beyond the kernel's routes. */
export type ConsoleOptions = {
  /**
   * The console's script and stylesheet (`assets.generated.ts`, built from console/ by
   * `npm run build:console`). A Worker leaves them out: its static assets serve them (below).
   */
  assets?: { js: string; css: string };
  /**
   * The bytes of `wasm/kee_wasm_bg.wasm`, served to the browser for the Verify page (the same
   * module the kernel and the CLI verify with). Entries that hold only a compiled module
   * (workerd) leave it out: the Verify page then says so instead of verifying.
   */
  wasm?: Uint8Array;
  /**
   * Where a Worker has the platform serve the files under `/console/assets/` (the WASM module,
   * and the script and stylesheet when `assets` is absent): its static assets (`[assets]` in
   * wrangler.toml, binding `ASSETS`, directory worker-assets/), which answer those paths before
   * the Worker runs; a request that still reaches the Worker is handed to them. Neither this nor
   * `wasm`: the Verify page says the runtime does not serve the module and points to the CLI.
   */
  staticAssets?: { fetch(request: Request): Promise<Response> };
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

const SECURITY_HEADERS: Record<string, string> = {
  'content-security-policy': CONSOLE_CSP,
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
  'x-frame-options': 'DENY',
  'cache-control': 'no-cache',
};

function secure(c: Context): void {
  for (const [name, value] of Object.entries(SECURITY_HEADERS)) c.header(name, value);
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
    return c.html(consolePage({ wasm: options.wasm !== undefined || options.staticAssets !== undefined }));
  };
  /** A file of the static assets, with the console's headers and `type` (when the platform gives none). */
  const fromStatic = async (c: Context, type: string) => {
    const res = await (options.staticAssets as NonNullable<ConsoleOptions['staticAssets']>).fetch(c.req.raw);
    return new Response(res.body, { status: res.status, headers: { ...SECURITY_HEADERS, 'content-type': res.headers.get('content-type') ?? type } });
  };
  const text = (name: 'js' | 'css', type: string) => async (c: Context) => {
    secure(c);
    const assets = options.assets;
    if (assets) return c.body(assets[name], 200, { 'content-type': type });
    if (options.staticAssets) return fromStatic(c, type);
    return c.body('this runtime does not serve the console assets\n', 404, { 'content-type': 'text/plain; charset=utf-8' });
  };
  app.get('/', page);
  app.get('/assets/console.js', text('js', 'text/javascript; charset=utf-8'));
  app.get('/assets/console.css', text('css', 'text/css; charset=utf-8'));
  app.get('/assets/kee_wasm_bg.wasm', async (c) => {
    secure(c);
    if (!options.wasm && options.staticAssets) return fromStatic(c, 'application/wasm');
    if (!options.wasm) return c.body('this runtime does not serve the WASM module\n', 404, { 'content-type': 'text/plain; charset=utf-8' });
    return c.body(options.wasm as Uint8Array<ArrayBuffer>, 200, { 'content-type': 'application/wasm' });
  });
  return app;
}
