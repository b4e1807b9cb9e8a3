import { Hono } from 'hono';
import { DomainError } from '../../kernel/errors.ts';
import type { Kernel } from '../../kernel/kernel.ts';
import { BLOCK_ID } from '../schemas.ts';

/** Audit reads: a block header, and the offline-verifiable audit package. */
export function auditRoutes(kernel: Kernel): Hono {
  const app = new Hono();
  app.get('/blocks/:block_id', async (c) => c.json(await kernel.getBlock(checkedBlockId(c.req.param('block_id')))));
  app.get('/blocks/:block_id/package', async (c) => c.json(await kernel.getPackage(checkedBlockId(c.req.param('block_id')))));
  return app;
}

function checkedBlockId(id: string): string {
  if (!BLOCK_ID.test(id)) throw new DomainError('BLOCK_NOT_FOUND', `no session block \`${id.slice(0, 64)}\``);
  return id;
}
