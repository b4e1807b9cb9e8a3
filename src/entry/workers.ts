/**
 * The default Cloudflare Workers entry (`wrangler deploy`): the `kee-policy` engine only, so the
 * bundle carries one WASM module and stays well inside the free plan's size limit (docs/edge.md).
 * `KEE_POLICY_ENGINE=cedar-wasm` needs the cedar build, `workers-cedar.ts`
 * (`wrangler deploy --env cedar`); here it answers 503 saying so. The kernel is `worker-app.ts`.
 */
import keeModule from '../../wasm/kee_wasm_worker_bg.wasm';
import { createWorker } from './worker-app.ts';

export default createWorker({ keeModule, cedar: null });
