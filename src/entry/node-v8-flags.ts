/**
 * Node 20's V8 (11.3) crashes with "Fatal error … unreachable code" when TurboFan has inlined a
 * JS-to-WASM call and later lazily deoptimizes through it (seen under ~1,000 concurrent
 * authorizations: cedar-wasm's `statefulIsAuthorized`). Turning that inlining off avoids the
 * crash at no measurable cost. Imported first by the Node entries; Bun and Deno are unaffected.
 */
import { setFlagsFromString } from 'node:v8';

setFlagsFromString('--no-turbo-inline-js-wasm-calls');
