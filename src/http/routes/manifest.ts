import { Hono } from 'hono';
import type { Kernel } from '../../kernel/kernel.ts';
import { MANIFEST_MEDIA_TYPE } from '../../kernel/manifest/manifest.ts';

/**
 * The GEC Manifest (P5), re-verified on every read: in memory against its hash-lock and
 * signature, and against the stored copy. A failure is 503 MANIFEST_INTEGRITY_FAILURE, never a
 * manifest.
 */
export function manifestRoutes(kernel: Kernel): Hono {
  const app = new Hono();
  app.get('/', async (c) => c.body(await kernel.manifest(), 200, { 'content-type': `${MANIFEST_MEDIA_TYPE}; charset=utf-8` }));
  return app;
}
