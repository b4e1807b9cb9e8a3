import { DomainError } from '../kernel/errors.ts';

/**
 * The app env a runtime entry passes with each request (`app.fetch(req, bodyDeadline(ms))`): the
 * request's body must arrive in full within `ms`, counted from now (when the request is handed
 * to the app); past it the body reader fails with `REQUEST_TIMEOUT` (408). For runtimes whose
 * server has no whole-request timeout (Deno; Bun has only an idle timeout, which a client
 * trickling a byte at a time never trips). The reader applies it (`requestBody` in body.ts), so
 * a request is not re-wrapped (a new Request and a Web stream per request) to carry it.
 *
 * @example
 * // in a runtime entry: serve each request with the deadline
 * const handler = (req: Request) => app.fetch(req, bodyDeadline(15_000));
 */
export function bodyDeadline(ms: number): BodyDeadlineEnv {
  return { bodyDeadline: { at: performance.now() + ms, ms } };
}

export type BodyDeadline = { at: number; ms: number };
export type BodyDeadlineEnv = { bodyDeadline: BodyDeadline };

/** The REQUEST_TIMEOUT of a body that missed `deadline`. */
export function bodyTimedOut(deadline: BodyDeadline): DomainError {
  return new DomainError('REQUEST_TIMEOUT', `request body not received within ${deadline.ms} ms`);
}
