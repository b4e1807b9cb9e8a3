import './node-v8-flags.ts';
import { serve } from '@hono/node-server';
import { buildLocalKernel, exitOnListenError, stopOnSignals } from './local.ts';

const local = await buildLocalKernel('node');
const server = serve({ fetch: local.app.fetch, port: local.port, hostname: local.host }, (info) => {
  console.log(`kee listening on http://${info.address}:${info.port} (node)`);
});
server.once('error', (e) => void exitOnListenError(local, e));
stopOnSignals(local, () => server.close());
