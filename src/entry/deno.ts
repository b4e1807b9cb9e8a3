import { buildLocalKernel } from './local.ts';

declare const Deno: {
  env: { get(name: string): string | undefined };
  serve(options: { port: number; hostname: string; onListen?: (a: { hostname: string; port: number }) => void }, handler: (req: Request) => Response | Promise<Response>): unknown;
};

const { app, port } = await buildLocalKernel('deno');
Deno.serve(
  {
    port,
    hostname: Deno.env.get('KEE_HOST') ?? '127.0.0.1',
    onListen: ({ hostname, port: p }) => console.log(`kee listening on http://${hostname}:${p} (deno)`),
  },
  app.fetch,
);
