import { buildLocalKernel } from './local.ts';

declare const Bun: { serve(options: { fetch: (req: Request) => Response | Promise<Response>; port: number; hostname: string }): { port: number; hostname: string } };

const { app, port } = await buildLocalKernel('bun');
const server = Bun.serve({ fetch: app.fetch, port, hostname: process.env.KEE_HOST ?? '127.0.0.1' });
console.log(`kee listening on http://${server.hostname}:${server.port} (bun)`);
