/**
 * The cedar Cloudflare Workers entry (`wrangler deploy --env cedar`): the default build plus
 * `@cedar-policy/cedar-wasm`, for `KEE_POLICY_ENGINE=cedar-wasm` (set by that environment in
 * wrangler.toml). Its bundle is about twice the default's (docs/edge.md).
 */
import * as cedar from '@cedar-policy/cedar-wasm/web';
import cedarModule from '../../node_modules/@cedar-policy/cedar-wasm/web/cedar_wasm_bg.wasm';
import keeModule from '../../wasm/kee_wasm_worker_bg.wasm';
import type { CedarApi } from '../adapters/cedar/cedar-api.ts';
import { createWorker } from './worker-app.ts';

export default createWorker({
  keeModule,
  cedar: () => {
    cedar.initSync({ module: cedarModule });
    return cedar as unknown as CedarApi;
  },
});
