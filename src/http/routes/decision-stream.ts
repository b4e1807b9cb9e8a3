import { Hono } from 'hono';
import { streamSSE } from 'hono/streaming';
import type { DecisionEvent } from '../../kernel/decision-feed/feed.ts';
import type { Kernel } from '../../kernel/kernel.ts';
import { DomainError } from '../../kernel/errors.ts';
import { requireRole, type OperatorEnv } from '../operator-auth.ts';
import { queryParam } from '../query.ts';

/** How often an idle stream sends a comment line, so proxies keep it open (ms). */
const KEEPALIVE_MS = 15_000;

/**
 * `GET /v1/decisions/stream`: the kernel's decisions as server-sent events (`event: decision`,
 * `data`: one DecisionEvent as JSON, `id`: a per-stream counter), first the last decisions the
 * kernel holds, then each new one as it is made. `?follow=false`: only the held decisions, then
 * the stream ends. Operators and auditors only.
 */
export function decisionStreamRoutes(kernel: Kernel): Hono<OperatorEnv> {
  const app = new Hono<OperatorEnv>();
  app.get('/stream', requireRole(kernel, 'operator', 'auditor'), (c) => {
    const follow = queryParam(c, 'follow') ?? 'true';
    if (follow !== 'true' && follow !== 'false') throw new DomainError('INVALID_INPUT', `follow must be \`true\` or \`false\`, got \`${follow.slice(0, 32)}\``);
    return streamSSE(c, async (stream) => {
      if (follow === 'false') {
        let n = 0;
        for (const e of kernel.decisions.latest()) await stream.writeSSE({ event: 'decision', id: String(++n), data: JSON.stringify(e) });
        return;
      }
      let id = 0;
      const queue: DecisionEvent[] = [...kernel.decisions.latest()];
      let wake: (() => void) | null = null;
      const unsubscribe = kernel.decisions.subscribe((e) => {
        queue.push(e);
        wake?.();
      });
      const keepalive = setInterval(() => wake?.(), KEEPALIVE_MS);
      stream.onAbort(() => {
        unsubscribe();
        clearInterval(keepalive);
        wake?.();
      });
      try {
        while (!stream.aborted) {
          if (queue.length === 0) {
            await new Promise<void>((resolve) => (wake = resolve));
            wake = null;
            if (queue.length === 0 && !stream.aborted) await stream.write(': keepalive\n\n');
            continue;
          }
          const e = queue.shift() as DecisionEvent;
          await stream.writeSSE({ event: 'decision', id: String(++id), data: JSON.stringify(e) });
        }
      } finally {
        unsubscribe();
        clearInterval(keepalive);
      }
    });
  });
  return app;
}
