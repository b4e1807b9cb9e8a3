import type { Hono } from 'hono';
import { CONSOLE_CSS, CONSOLE_JS } from './console/assets.generated.ts';
import { OPENAPI } from './http/openapi.ts';
import type { Kernel } from './kernel/kernel.ts';
import { createAppCore, type AppOptions } from './app-core.ts';

/**
 * The HTTP face of the kernel (`app-core.ts`) with the OpenAPI document and the console's built
 * script and stylesheet (`assets.generated.ts`): what Node, Bun, Deno and the tests serve. The
 * Worker uses `createAppCore` and has its static assets serve these (worker-assets/).
 */
export function createApp(kernel: Kernel, options: AppOptions = {}): Hono {
  return createAppCore(kernel, { openapi: OPENAPI, ...options, console: { assets: { js: CONSOLE_JS, css: CONSOLE_CSS }, ...options.console } });
}
