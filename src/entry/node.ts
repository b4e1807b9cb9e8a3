import './node-v8-flags.ts';
import { serve } from '@hono/node-server';
import { nodeServerOptions, requestTimeoutOrExit } from './http-timeouts.ts';
import { buildLocalKernel, exitOnListenError, stopOnSignals } from './local.ts';

const timeoutMs = requestTimeoutOrExit(process.env.KEE_HTTP_REQUEST_TIMEOUT_MS, (code) => process.exit(code));
const local = await buildLocalKernel('node');
const server = serve({ fetch: local.app.fetch, port: local.port, hostname: local.host, serverOptions: nodeServerOptions(timeoutMs) }, (info) => {
  console.log(`kee listening on http://${info.address}:${info.port} (node)`);
});
server.once('error', (e) => void exitOnListenError(local, e));
stopOnSignals(local, () => server.close());
