import { Hono } from 'hono';
import * as z from '../zod.ts';
import type { Kernel } from '../../kernel/kernel.ts';
import { readJson } from '../body.ts';

/** A registry lists kernels and providers: far smaller than a CAP Profile, larger than a request. */
export const MAX_PARTY_REGISTRY_BYTES = 1024 * 1024;

/** The edge only requires a JSON object: the kernel checks the envelope and the signatures before it reads the payload. */
const envelope = z.record(z.string(), z.unknown());

/** The KIA Party Registry (docs/party-registry.md): submit one signed by the publishers; read the latest. */
export function partyRegistryRoutes(kernel: Kernel): Hono {
  const app = new Hono();
  app.put('/', async (c) => {
    const jws = await readJson(c, envelope, MAX_PARTY_REGISTRY_BYTES);
    return c.json(await kernel.partyRegistry.submit(jws), 200);
  });
  app.get('/', async (c) => c.json(await kernel.partyRegistry.current(), 200));
  return app;
}
