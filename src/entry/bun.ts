import { buildLocalKernel, exitOnListenError, stopOnSignals } from './local.ts';

declare const Bun: {
  serve(options: { fetch: (req: Request) => Response | Promise<Response>; port: number; hostname: string }): { port: number; hostname: string; stop(): unknown };
};

const local = await buildLocalKernel('bun');
try {
  const server = Bun.serve({ fetch: local.app.fetch, port: local.port, hostname: local.host });
  console.log(`kee listening on http://${server.hostname}:${server.port} (bun)`);
  stopOnSignals(local, () => server.stop());
} catch (e) {
  await exitOnListenError(local, e);
}
