import { Hono } from 'hono';
import type { Kernel } from '../../kernel/kernel.ts';
import { readJson } from '../body.ts';
import { deriveXpidBody } from '../schemas.ts';

/**
 * `POST /v1/xpid/derive`: KEE §10 `derive_xpid` (digest §2.12). Public: it derives and stores
 * nothing, so it needs neither a started kernel nor the audit store.
 */
export function xpidRoutes(kernel: Kernel): Hono {
  const app = new Hono();
  app.post('/derive', async (c) => {
    const body = await readJson(c, deriveXpidBody);
    return c.json({ xpid: kernel.deriveXpid(body) }, 200);
  });
  return app;
}
