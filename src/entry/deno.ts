import { withBodyDeadline } from '../http/body-deadline.ts';
import { requestTimeoutOrExit } from './http-timeouts.ts';
import { buildLocalKernel } from './local.ts';

declare const Deno: {
  env: { get(name: string): string | undefined };
  exit(code: number): never;
  serve(options: { port: number; hostname: string; onListen?: (a: { hostname: string; port: number }) => void }, handler: (req: Request) => Response | Promise<Response>): unknown;
};

const timeoutMs = requestTimeoutOrExit(Deno.env.get('KEE_HTTP_REQUEST_TIMEOUT_MS'), (code) => Deno.exit(code));
const { app, port } = await buildLocalKernel('deno');
Deno.serve(
  {
    port,
    hostname: Deno.env.get('KEE_HOST') ?? '127.0.0.1',
    onListen: ({ hostname, port: p }) => console.log(`kee listening on http://${hostname}:${p} (deno)`),
  },
  // Deno.serve has no request timeout of its own: the body must arrive within KEE_HTTP_REQUEST_TIMEOUT_MS
  (req) => app.fetch(withBodyDeadline(req, timeoutMs)),
);
