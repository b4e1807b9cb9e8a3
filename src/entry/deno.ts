import { buildLocalKernel, exitOnListenError, stopOnSignals } from './local.ts';

declare const Deno: {
  serve(options: { port: number; hostname: string; onListen?: (a: { hostname: string; port: number }) => void }, handler: (req: Request) => Response | Promise<Response>): { shutdown(): Promise<void> };
};

const local = await buildLocalKernel('deno');
try {
  const server = Deno.serve(
    {
      port: local.port,
      hostname: local.host,
      onListen: ({ hostname, port: p }) => console.log(`kee listening on http://${hostname}:${p} (deno)`),
    },
    local.app.fetch,
  );
  stopOnSignals(local, () => server.shutdown());
} catch (e) {
  await exitOnListenError(local, e);
}
