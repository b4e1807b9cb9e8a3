import './node-v8-flags.ts';
import { serve } from '@hono/node-server';
import { buildLocalKernel } from './local.ts';

const { app, port, shutdown } = await buildLocalKernel('node');
const server = serve({ fetch: app.fetch, port, hostname: process.env.KEE_HOST ?? '127.0.0.1' }, (info) => {
  console.log(`kee listening on http://${info.address}:${info.port} (node)`);
});
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    server.close();
    void shutdown().finally(() => process.exit(0));
  });
}
