/** `npm run build:worker-assets`: writes worker-assets/openapi.json (see scripts/worker-assets.ts). */
import { writeFile } from 'node:fs/promises';
import { OPENAPI_ASSET_FILE, openapiAsset } from './worker-assets.ts';

await writeFile(OPENAPI_ASSET_FILE, openapiAsset());
console.log(`wrote ${OPENAPI_ASSET_FILE.pathname}`);
