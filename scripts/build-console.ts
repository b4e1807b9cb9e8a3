/**
 * `npm run build:console`: writes src/console/assets.generated.ts and the same script and
 * stylesheet under worker-assets/console/assets/ (a Worker's static assets) (see scripts/console-assets.ts).
 */
import { writeFile } from 'node:fs/promises';
import { buildConsoleAssets, buildConsoleFiles, CONSOLE_ASSETS_FILE, WORKER_ASSET_FILES } from './console-assets.ts';

const files = await buildConsoleFiles();
await writeFile(CONSOLE_ASSETS_FILE, await buildConsoleAssets(files));
await writeFile(WORKER_ASSET_FILES.js, files.js);
await writeFile(WORKER_ASSET_FILES.css, files.css);
console.log(`wrote ${CONSOLE_ASSETS_FILE.pathname}, ${WORKER_ASSET_FILES.js.pathname}, ${WORKER_ASSET_FILES.css.pathname}`);
