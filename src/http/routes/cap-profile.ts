import { Hono } from 'hono';
import { z } from 'zod';
import type { Kernel } from '../../kernel/kernel.ts';
import { readJson } from '../body.ts';

/** A signed CAP Profile may be far larger than an ordinary request. */
export const MAX_CAP_PROFILE_BYTES = 4 * 1024 * 1024;

/**
 * The edge only requires a JSON object: the kernel checks the envelope and the signatures
 * before it reads the payload, and records every refusal, a malformed envelope included.
 */
const envelope = z.record(z.string(), z.unknown());

/** P4: submit a signed CAP Profile update; read the active profile. */
export function capProfileRoutes(kernel: Kernel): Hono {
  const app = new Hono();

  app.put('/', async (c) => {
    const jws = await readJson(c, envelope, MAX_CAP_PROFILE_BYTES);
    return c.json(await kernel.submitCapProfile(jws), 200);
  });

  app.get('/', (c) => c.json(kernel.activeCapProfile(), 200));

  return app;
}
