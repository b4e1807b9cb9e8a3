import './node-v8-flags.ts';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { getRequestListener } from '@hono/node-server';
import { authorizeListener } from './authorize-listener.ts';
import { nodeServerOptions, requestTimeoutOrExit } from './http-timeouts.ts';
import { buildLocalKernel, exitOnListenError, stopOnSignals } from './local.ts';

const timeoutMs = requestTimeoutOrExit(process.env.KEE_HTTP_REQUEST_TIMEOUT_MS, (code) => process.exit(code));
const local = await buildLocalKernel('node', { signInWorker: true });
// the Hono app as `@hono/node-server` serves it, with `POST /v1/sessions/{id}/authorize` answered straight on node:http (authorize-listener.ts)
const hono = getRequestListener(local.app.fetch, { hostname: local.host });
const server = createServer(nodeServerOptions(timeoutMs), authorizeListener(local.kernel, hono, local.host));
server.listen(local.port, local.host, () => {
  const info = server.address() as AddressInfo;
  console.log(`kee listening on http://${info.address}:${info.port} (node)`);
});
server.once('error', (e) => void exitOnListenError(local, e));
stopOnSignals(local, () => server.close());
