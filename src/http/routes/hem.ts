import { Hono, type Context } from 'hono';
import { streamSSE } from 'hono/streaming';
import { HEM_STATUSES, type HemAnswer, type HemStatus } from '../../kernel/hem/escalation.ts';
import { DomainError } from '../../kernel/errors.ts';
import type { HemNotice, Kernel } from '../../kernel/kernel.ts';
import { readJson } from '../body.ts';
import { requireRole, type OperatorEnv } from '../operator-auth.ts';
import { queryParam } from '../query.ts';
import { hemAnswerBody } from '../schemas.ts';

/** Seconds between keep-alive comments on the event stream (proxies close idle streams). */
const KEEP_ALIVE_MS = 15_000;

/**
 * Human escalations (docs/hem.md): approvers answer them; approvers, operators and auditors
 * read them; approvers and operators follow them as server-sent events. Every route needs an
 * operator bearer token: an agent's credentials or session token never verify here.
 */
export function hemRoutes(kernel: Kernel): Hono<OperatorEnv> {
  const app = new Hono<OperatorEnv>();
  const readers = requireRole(kernel, 'approver', 'operator', 'auditor');
  const approvers = requireRole(kernel, 'approver');

  app.get('/escalations', readers, async (c) => {
    const status = queryParam(c, 'status');
    if (status !== undefined && !HEM_STATUSES.includes(status as HemStatus)) {
      throw new DomainError('INVALID_INPUT', `query parameter \`status\` must be one of ${HEM_STATUSES.map((s) => `\`${s}\``).join(', ')}, got \`${status.slice(0, 64)}\``);
    }
    return c.json({ escalations: await kernel.listEscalations(status as HemStatus | undefined) }, 200);
  });

  app.get('/escalations/:hem_id', readers, async (c) => c.json(await kernel.getEscalation(c.req.param('hem_id')), 200));

  const answer = (verdict: HemAnswer) => async (c: Context<OperatorEnv>) => {
    const body = await optionalBody(c);
    return c.json(await kernel.resolveEscalation(c.req.param('hem_id') as string, verdict, c.var.operator.subject, body.comment ?? null), 200);
  };
  app.post('/escalations/:hem_id/approve', approvers, answer('APPROVED'));
  app.post('/escalations/:hem_id/reject', approvers, answer('REJECTED'));

  app.get('/events', requireRole(kernel, 'approver', 'operator'), (c) =>
    streamSSE(c, async (stream) => {
      const queue: HemNotice[] = [];
      let wake: (() => void) | null = null;
      const off = kernel.onEscalation((n) => {
        queue.push(n);
        wake?.();
      });
      stream.onAbort(() => {
        off();
        wake?.();
      });
      try {
        // the first comment flushes the headers: a client knows it is subscribed
        await stream.write(': subscribed\n\n');
        while (!stream.aborted) {
          const next = queue.shift();
          if (next) {
            await stream.writeSSE({ event: next.event.toLowerCase(), id: `${next.escalation.hem_id}:${next.escalation.status}`, data: JSON.stringify(next.escalation) });
            continue;
          }
          await new Promise<void>((resolve) => {
            const timer = setTimeout(resolve, KEEP_ALIVE_MS);
            wake = () => {
              clearTimeout(timer);
              resolve();
            };
          });
          wake = null;
          if (queue.length === 0 && !stream.aborted) await stream.write(': keep-alive\n\n');
        }
      } finally {
        off();
      }
    }),
  );

  return app;
}

/** The answer's optional JSON body (`{comment?}`): none at all is an empty answer. */
async function optionalBody(c: Context<OperatorEnv>): Promise<{ comment?: string | undefined }> {
  if (c.req.header('content-type') === undefined && (c.req.header('content-length') ?? '0') === '0' && c.req.raw.body === null) return {};
  return readJson(c, hemAnswerBody);
}
