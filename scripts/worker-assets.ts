/**
 * What a Worker's static assets (wrangler.toml `[assets]`, worker-assets/) serve that its bundle
 * leaves out: the OpenAPI document (`/openapi.json`, from src/http/openapi.ts). The console's
 * files are written by scripts/console-assets.ts. test/worker-assets.test.ts fails when the
 * committed file is not what the sources give (`npm run build:worker-assets`).
 */
import { OPENAPI } from '../src/http/openapi.ts';

export const OPENAPI_ASSET_FILE = new URL('../worker-assets/openapi.json', import.meta.url);

/** `/openapi.json` as the other runtimes serve it (`c.json(OPENAPI)`), with a final newline. */
export function openapiAsset(): string {
  return `${JSON.stringify(OPENAPI)}\n`;
}
