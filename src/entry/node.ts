import './node-v8-flags.ts';
import { serve } from '@hono/node-server';
import { nodeServerOptions, requestTimeoutOrExit } from './http-timeouts.ts';
import { buildLocalKernel } from './local.ts';

const timeoutMs = requestTimeoutOrExit(process.env.KEE_HTTP_REQUEST_TIMEOUT_MS, (code) => process.exit(code));
const { app, port, shutdown } = await buildLocalKernel('node');
const server = serve({ fetch: app.fetch, port, hostname: process.env.KEE_HOST ?? '127.0.0.1', serverOptions: nodeServerOptions(timeoutMs) }, (info) => {
  console.log(`kee listening on http://${info.address}:${info.port} (node)`);
});
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    server.close();
    void shutdown().finally(() => process.exit(0));
  });
}
