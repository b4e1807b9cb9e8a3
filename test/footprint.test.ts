import { describe, expect, it } from 'vitest';
import { buildWorkerBundle } from '../bench/footprint/worker-bundle.ts';

/**
 * The default Worker's compressed size may not pass this: issue 22's aim of 1 MiB (1,024 KiB),
 * met with 1,013 KiB measured on 2026-12-06 (bench/footprint/RESULTS.md), once the request
 * schemas moved to zod/mini. The issue's hard bound is 1.5 MiB (Cloudflare's free plan allows 3
 * MiB). The WASM module (built for size, without FROST, panics aborting at once) is 848 KiB
 * gzip, the JavaScript the rest; the console's script and stylesheet and the OpenAPI document
 * are static assets (worker-assets/), not in the bundle (docs/edge.md).
 */
const DEFAULT_WORKER_GZIP_LIMIT_KIB = 1024;
const HARD_BOUND_KIB = 1.5 * 1024;

describe('the default Worker bundle (wrangler deploy --dry-run)', () => {
  it(`stays within ${DEFAULT_WORKER_GZIP_LIMIT_KIB} KiB gzip, without cedar-wasm and without a source map`, async () => {
    const bundle = await buildWorkerBundle();
    expect(bundle.gzipKiB).toBeGreaterThan(0);
    expect(bundle.gzipKiB).toBeLessThanOrEqual(DEFAULT_WORKER_GZIP_LIMIT_KIB);
    expect(DEFAULT_WORKER_GZIP_LIMIT_KIB).toBeLessThanOrEqual(HARD_BOUND_KIB);
    const names = Object.keys(bundle.files);
    expect(names.filter((f) => f.endsWith('.wasm')).map((f) => f.replace(/^[0-9a-f]+-/, ''))).toEqual(['kee_wasm_worker_bg.wasm']);
    expect(names.filter((f) => f.endsWith('.map'))).toEqual([]);
    expect(bundle.inputs.filter((p) => p.includes('@cedar-policy/'))).toEqual([]);
    // the Workers' own glue (no FROST classes), never the release module's
    expect(bundle.inputs.filter((p) => /wasm\/kee_wasm/.test(p))).toEqual(['wasm/kee_wasm_worker.js']);
    // the FROST ceremonies and the native-only paths (files, worker threads, libSQL, PostgreSQL) stay out
    // zod's locales stay out but English, the one that writes the validation messages (src/http/zod.ts)
    const zodLocales = Object.entries(bundle.bytesInBundle).filter(([p, n]) => n > 0 && /node_modules\/zod\/.*locales\//.test(p));
    expect(zodLocales.map(([p]) => p.replace(/^.*\/locales\//, ''))).toEqual(['en.js']);
    expect(bundle.inputs.filter((p) => /adapters\/(frost|postgres)\/|entry\/(local|signer-setup|frost-keys)\.ts|node_modules\/(pg|libsql|@libsql)\//.test(p))).toEqual([]);
    // served by the platform from worker-assets/, not bundled: the console's built files, the OpenAPI document; no OTel SDK without an exporter
    expect(bundle.inputs.filter((p) => /console\/assets\.generated\.ts|http\/openapi\.ts|node_modules\/@opentelemetry\//.test(p))).toEqual([]);
    // the request schemas on zod/mini: neither zod's classic API nor its JSON Schema generator
    const zodClassic = Object.entries(bundle.bytesInBundle).filter(([p, n]) => n > 0 && /node_modules\/zod\/v4\/(classic\/|core\/(to-json-schema|json-schema-processors)\.js)/.test(p));
    expect(zodClassic.map(([p]) => p.replace(/^.*node_modules\//, ''))).toEqual([]);
  }, 120_000);

  it('the cedar build carries cedar-wasm', async () => {
    const bundle = await buildWorkerBundle('cedar');
    expect(Object.keys(bundle.files).filter((f) => f.endsWith('.wasm')).map((f) => f.replace(/^[0-9a-f]+-/, '')).sort()).toEqual(['cedar_wasm_bg.wasm', 'kee_wasm_worker_bg.wasm']);
    expect(bundle.inputs.some((p) => p.includes('@cedar-policy/cedar-wasm/'))).toBe(true);
  }, 120_000);
});
