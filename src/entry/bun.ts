import { bodyDeadline } from '../http/body-deadline.ts';
import { bunIdleTimeoutSeconds, requestTimeoutOrExit } from './http-timeouts.ts';
import { buildLocalKernel, exitOnListenError, stopOnSignals } from './local.ts';

declare const Bun: {
  serve(options: { fetch: (req: Request) => Response | Promise<Response>; port: number; hostname: string; idleTimeout: number }): { port: number; hostname: string; stop(): unknown };
};

const timeoutMs = requestTimeoutOrExit(process.env.KEE_HTTP_REQUEST_TIMEOUT_MS, (code) => process.exit(code));
const local = await buildLocalKernel('bun');
try {
  // Bun's idle timeout cuts a silent connection; a body trickled a byte at a time is cut by the deadline
  const server = Bun.serve({
    fetch: (req) => local.app.fetch(req, bodyDeadline(timeoutMs)),
    port: local.port,
    hostname: local.host,
    idleTimeout: bunIdleTimeoutSeconds(timeoutMs),
  });
  console.log(`kee listening on http://${server.hostname}:${server.port} (bun)`);
  stopOnSignals(local, () => server.stop());
} catch (e) {
  await exitOnListenError(local, e);
}
