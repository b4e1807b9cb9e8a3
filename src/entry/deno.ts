import { bodyDeadline } from '../http/body-deadline.ts';
import { requestTimeoutOrExit } from './http-timeouts.ts';
import { buildLocalKernel, exitOnListenError, stopOnSignals } from './local.ts';

declare const Deno: {
  env: { get(name: string): string | undefined };
  exit(code: number): never;
  serve(options: { port: number; hostname: string; onListen?: (a: { hostname: string; port: number }) => void }, handler: (req: Request) => Response | Promise<Response>): { shutdown(): Promise<void> };
};

const timeoutMs = requestTimeoutOrExit(Deno.env.get('KEE_HTTP_REQUEST_TIMEOUT_MS'), (code) => Deno.exit(code));
const local = await buildLocalKernel('deno');
try {
  const server = Deno.serve(
    {
      port: local.port,
      hostname: local.host,
      onListen: ({ hostname, port: p }) => console.log(`kee listening on http://${hostname}:${p} (deno)`),
    },
    // Deno.serve has no request timeout of its own: the body must arrive within KEE_HTTP_REQUEST_TIMEOUT_MS
    (req) => local.app.fetch(req, bodyDeadline(timeoutMs)),
  );
  stopOnSignals(local, () => server.shutdown());
} catch (e) {
  await exitOnListenError(local, e);
}
