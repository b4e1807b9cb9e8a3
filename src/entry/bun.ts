import { withBodyDeadline } from '../http/body-deadline.ts';
import { bunIdleTimeoutSeconds, requestTimeoutOrExit } from './http-timeouts.ts';
import { buildLocalKernel } from './local.ts';

declare const Bun: {
  serve(options: { fetch: (req: Request) => Response | Promise<Response>; port: number; hostname: string; idleTimeout: number }): { port: number; hostname: string };
};

const timeoutMs = requestTimeoutOrExit(process.env.KEE_HTTP_REQUEST_TIMEOUT_MS, (code) => process.exit(code));
const { app, port } = await buildLocalKernel('bun');
// Bun's idle timeout cuts a silent connection; a body trickled a byte at a time is cut by the deadline
const server = Bun.serve({
  fetch: (req) => app.fetch(withBodyDeadline(req, timeoutMs)),
  port,
  hostname: process.env.KEE_HOST ?? '127.0.0.1',
  idleTimeout: bunIdleTimeoutSeconds(timeoutMs),
});
console.log(`kee listening on http://${server.hostname}:${server.port} (bun)`);
