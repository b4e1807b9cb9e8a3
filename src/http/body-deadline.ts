import { DomainError } from '../kernel/errors.ts';

/**
 * `req` with a body that must arrive in full within `ms` (counted from now, when the request
 * is handed to the app): past it the body stream fails with `REQUEST_TIMEOUT` (408), which the
 * body reader answers. For runtimes whose server has no whole-request timeout (Deno; Bun has
 * only an idle timeout, which a client trickling a byte at a time never trips). A request
 * without a body is returned as it is.
 *
 * @example
 * // in a runtime entry: serve each request through the deadline
 * const handler = (req: Request) => app.fetch(withBodyDeadline(req, 15_000));
 */
export function withBodyDeadline(req: Request, ms: number): Request {
  if (req.body === null) return req;
  const reader = req.body.getReader();
  let timer: ReturnType<typeof setTimeout> | undefined;
  const body = new ReadableStream<Uint8Array>({
    start(controller) {
      timer = setTimeout(() => {
        controller.error(new DomainError('REQUEST_TIMEOUT', `request body not received within ${ms} ms`));
        reader.cancel().catch(() => undefined);
      }, ms);
    },
    async pull(controller) {
      try {
        const { done, value } = await reader.read();
        if (done) {
          clearTimeout(timer);
          controller.close();
        } else controller.enqueue(value);
      } catch (e) {
        clearTimeout(timer);
        controller.error(e);
      }
    },
    cancel(reason) {
      clearTimeout(timer);
      return reader.cancel(reason);
    },
  });
  return new Request(req.url, { method: req.method, headers: req.headers, body, signal: req.signal, duplex: 'half' } as RequestInit);
}
