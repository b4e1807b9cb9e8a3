import { Hono } from 'hono';
import { DomainError } from '../../kernel/errors.ts';
import type { Kernel } from '../../kernel/kernel.ts';

/** Longest control id accepted in the path. */
const MAX_CONTROL_ID = 256;

/** Policy transparency (public): the serving policies of a CAP-RRS control. */
export function ptdRoutes(kernel: Kernel): Hono {
  const app = new Hono();
  app.get('/controls/:control_id', async (c) => {
    const id = c.req.param('control_id');
    if (id.length === 0 || id.length > MAX_CONTROL_ID) throw new DomainError('INVALID_INPUT', `control_id must be 1 to ${MAX_CONTROL_ID} characters`);
    return c.json(await kernel.ptdControl(id));
  });
  return app;
}
