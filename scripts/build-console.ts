/** `npm run build:console`: writes src/console/assets.generated.ts (see scripts/console-assets.ts). */
import { writeFile } from 'node:fs/promises';
import { buildConsoleAssets, CONSOLE_ASSETS_FILE } from './console-assets.ts';

await writeFile(CONSOLE_ASSETS_FILE, await buildConsoleAssets());
console.log(`wrote ${CONSOLE_ASSETS_FILE.pathname}`);
