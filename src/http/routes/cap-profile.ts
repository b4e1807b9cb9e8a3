import { DomainError } from '../../kernel/errors.ts';
import { Hono } from 'hono';
import * as z from '../zod.ts';
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

  /**
   * The serving set's Cedar text: JSON with the facts that name it, or the bare text when the
   * client asks for `text/plain` (the facts then go in `Kee-*` headers).
   */
  app.get('/policies', (c) => {
    const active = kernel.activePolicyText();
    const accept = c.req.header('accept') ?? '';
    if (/\btext\/plain\b/i.test(accept) && !/\bapplication\/json\b/i.test(accept)) {
      return c.body(active.policies, 200, {
        'content-type': 'text/plain; charset=utf-8',
        'kee-cap-profile-id': encodeURIComponent(active.cap_profile_id),
        'kee-cap-profile-version': String(active.version),
        'kee-cedar-policy-hash': active.cedar_policy_hash,
      });
    }
    return c.json(active, 200);
  });

  /** The accepted signed updates, oldest first; one of them as submitted (docs/cap-profiles.md). */
  app.get('/history', async (c) => c.json({ updates: await kernel.capProfileHistory.list() }, 200));
  app.get('/history/:seq', async (c) => {
    const seq = c.req.param('seq');
    if (!/^[1-9]\d{0,14}$/.test(seq)) throw new DomainError('INVALID_INPUT', `\`seq\` must be a positive whole number, got \`${seq.slice(0, 32)}\``);
    return c.json(await kernel.capProfileHistory.read(Number(seq)), 200);
  });

  return app;
}
