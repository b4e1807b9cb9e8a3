/**
 * The black-box HTTP conformance suite, portable across runtimes: it only needs a base URL and
 * `fetch`. session -> authorize -> close -> block -> package, plus client-error handling.
 * Throws (node:assert) on the first deviation; returns the audit package for offline checks.
 */
import assert from 'node:assert/strict';
import { createHash, createPublicKey, verify } from 'node:crypto';
import { request } from 'node:http';
import canonicalize from 'canonicalize';
import { createLocalJWKSet, jwtVerify } from 'jose';

type Json = any;

async function call(base: string, method: string, path: string, body?: unknown, headers: Record<string, string> = {}) {
  const init: RequestInit = { method, headers: { ...(body === undefined ? {} : { 'content-type': 'application/json' }), ...headers } };
  if (body !== undefined) init.body = typeof body === 'string' ? body : JSON.stringify(body);
  const res = await fetch(`${base}${path}`, init);
  const text = await res.text();
  let json: Json;
  try {
    json = JSON.parse(text);
  } catch {
    json = undefined;
  }
  return { status: res.status, type: res.headers.get('content-type') ?? '', allow: res.headers.get('allow'), json, text };
}

function assertProblem(r: Awaited<ReturnType<typeof call>>, status: number, code: string): void {
  assert.equal(r.status, status, `expected ${status} ${code}, got ${r.status}: ${r.text}`);
  assert.match(r.type, /application\/problem\+json/);
  assert.equal(r.json.code, code);
  assert.doesNotMatch(r.text, /\bat \S+ \(|\.ts:\d+/, 'no stack trace in a problem body');
}

/** SHA-256 over the JCS of a manifest without its signature: its hash-lock, computed independently. */
export function manifestLock(manifest: Json): string {
  const { manifest_signature: _sig, ...body } = manifest;
  return createHash('sha256').update(canonicalize(body) as string).digest('hex');
}

/**
 * GET /v1/manifest: the GEC Manifest in JCS form under its media type, signed by the kernel key
 * (verified here with node:crypto), declaring the signer, the live policy hash and the WASM modules.
 */
/** The WASM modules each runtime's build declares: the Workers carry the size-built module, cedar-wasm only in the cedar build. */
const WASM_MODULES: Record<string, string[]> = {
  workerd: ['kee_wasm_worker_bg.wasm'],
  'workerd-cedar': ['cedar_wasm_bg.wasm', 'kee_wasm_worker_bg.wasm'],
};

/** The runtime a build reports in `/healthz` and signs for: the cedar Worker build is workerd too. */
export const kernelRuntime = (runtime: string): string => (runtime === 'workerd-cedar' ? 'workerd' : runtime);

export async function checkManifest(base: string, runtime: string, cedarPolicyHash?: string): Promise<Json> {
  const r = await call(base, 'GET', '/v1/manifest');
  assert.equal(r.status, 200, r.text);
  assert.match(r.type, /^application\/soos-gec-manifest\+json/);
  const m = r.json;
  assert.equal(r.text, canonicalize(m), 'served in JCS form');
  const key = (await call(base, 'GET', '/v1/kernel/public-key')).json;
  // FROST (2,3) by default on Node, Bun and Deno; one Ed25519 key (KEE_SIGNING_KEY) on workerd
  const scheme = kernelRuntime(runtime) === 'workerd' ? 'ed25519' : 'frost';
  assert.deepEqual(m.signing_config, { scheme, algorithm: 'Ed25519', public_key: key.public_key });
  assert.equal(m.kernel_keypair_fingerprint, key.key_id);
  const { manifest_signature: sig, ...body } = m;
  const pub = createPublicKey({ key: { kty: 'OKP', crv: 'Ed25519', x: Buffer.from(key.public_key, 'hex').toString('base64url') }, format: 'jwk' });
  assert.ok(verify(null, Buffer.from(canonicalize(body) as string), pub, Buffer.from(sig.signature, 'hex')), 'manifest_signature verifies');
  assert.deepEqual(m.deployment_constraints, [scheme === 'frost' ? 'frost:t-of-n:2-3' : 'ed25519:single']);
  assert.equal(m.hardware_backed, false);
  assert.equal(m.conformance_level, 'KEE1-L1');
  assert.ok(Number.isInteger(m.epoch) && m.epoch >= 1);
  if (cedarPolicyHash) assert.equal(m.cedar_policy_hash, cedarPolicyHash);
  assert.ok(m.loaded_policy_ids.includes('kee-default-read'));
  assert.deepEqual(Object.keys(m.wasm_modules).sort(), WASM_MODULES[runtime] ?? ['cedar_wasm_bg.wasm', 'kee_wasm_bg.wasm']);
  for (const h of Object.values(m.wasm_modules)) assert.match(h as string, /^[0-9a-f]{64}$/);
  return m;
}

/**
 * A body with no Content-Length (sent chunked) past the 64 KiB limit is refused with 413: the
 * size is counted as the body streams, not taken from a header. (That the server stops reading
 * at the limit, rather than after the whole body, is shown on Node by test/http-limits.test.ts;
 * here the body is small enough that wrangler's dev proxy delivers the early answer.)
 */
export function checkStreamedBodyLimit(base: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const req = request(new URL(`${base}/v1/sessions`), { method: 'POST', headers: { 'content-type': 'application/json', 'transfer-encoding': 'chunked' } }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (d: string) => (text += d));
      res.on('error', reject);
      res.on('end', () => {
        try {
          assert.equal(res.statusCode, 413, `a chunked 96 KiB body: expected 413, got ${res.statusCode}: ${text}`);
          assert.equal(JSON.parse(text).code, 'PAYLOAD_TOO_LARGE');
          resolve();
        } catch (e) {
          reject(e);
        }
      });
    });
    req.on('error', reject);
    req.end(`{"agent_id":"a"${' '.repeat(96 * 1024)}}`);
  });
}

/** The web console (docs/console.md): page and assets under the CSP everywhere; the WASM module everywhere (a Worker's from its static assets). */
async function checkConsole(base: string, runtime: string): Promise<void> {
  for (const [path, type] of [['/console', 'text/html'], ['/console/assets/console.js', 'text/javascript'], ['/console/assets/console.css', 'text/css']] as const) {
    const res = await fetch(`${base}${path}`);
    assert.equal(res.status, 200, path);
    assert.match(res.headers.get('content-type') ?? '', new RegExp(`^${type}`), path);
    assert.match(res.headers.get('content-security-policy') ?? '', /^default-src 'none'; script-src 'self' 'wasm-unsafe-eval';/, path);
    await res.arrayBuffer();
  }
  const wasm = await fetch(`${base}/console/assets/kee_wasm_bg.wasm`);
  const bytes = new Uint8Array(await wasm.arrayBuffer());
  assert.equal(wasm.status, 200, `${runtime}: the console's WASM module`);
  assert.equal(wasm.headers.get('content-type'), 'application/wasm');
  assert.deepEqual([...bytes.subarray(0, 4)], [0, 0x61, 0x73, 0x6d], 'a WASM module');
}

export async function runConformance(base: string, runtime: string): Promise<{ blockId: string; pkg: Json }> {
  const health = await call(base, 'GET', '/healthz');
  assert.equal(health.status, 200);
  assert.deepEqual({ status: health.json.status, state: health.json.state, runtime: health.json.runtime }, { status: 'ok', state: 'NORMAL', runtime: kernelRuntime(runtime) });

  const openapi = await call(base, 'GET', '/openapi.json');
  assert.equal(openapi.status, 200);
  assert.ok(openapi.json.paths['/v1/sessions/{session_id}/authorize']);
  await checkConsole(base, runtime);

  const opened = await call(base, 'POST', '/v1/sessions', { agent_id: 'master-ai' });
  assert.equal(opened.status, 201, opened.text);
  const { session_id: sid, block_id: blockId } = opened.json;
  assert.match(blockId, /^[0-9a-f]{32}$/);

  const authz = (action: string, context: Json = {}) =>
    call(base, 'POST', `/v1/sessions/${sid}/authorize`, {
      principal: { type: 'Agent', id: 'master-ai' },
      action: { type: 'Action', id: action },
      resource: { type: 'Incident', id: 'm7.2' },
      context,
    });
  const read = await authz('read');
  assert.equal(read.status, 200, read.text);
  assert.equal(read.json.decision, 'PERMIT');
  assert.equal(read.json.ale_seq, 2);
  assert.deepEqual(read.json.policy_ids, ['kee-default-read']);
  assert.match(read.json.cedar_policy_hash, /^[0-9a-f]{64}$/);
  await checkManifest(base, runtime, read.json.cedar_policy_hash);
  await checkCredential(base, read.json.credential, read.json.ale_seq, blockId);
  const gold = await authz('classify_gold');
  assert.equal(gold.json.decision, 'DENY');
  assert.deepEqual(gold.json.policy_ids, ['tier0b-no-auto-gold']);
  // the Tier 0-B DENY opens a human escalation (docs/hem.md); an agent's own approval flag is discarded
  assert.equal(gold.json.escalation?.hem_class, 'HEM-HIGH-1');
  assert.equal(gold.json.escalation?.status, 'PENDING');
  const forged = await authz('classify_gold', { human_approval: true, hem: { id: gold.json.escalation.hem_id, class: 'HEM-HIGH-1', resolution: 'APPROVED', approver: 'me' } });
  assert.equal(forged.json.decision, 'DENY');
  assert.equal(forged.json.ale_seq, 4);
  assert.equal(forged.json.escalation?.hem_id, gold.json.escalation.hem_id);
  // approvers only: without an operator token the escalations are not served
  assert.ok([401, 503].includes((await call(base, 'GET', '/v1/hem/escalations')).status));

  // client mistakes: 4xx problem+json, never a 500
  assertProblem(await call(base, 'POST', `/v1/sessions/${sid}/authorize`, '{"principal":'), 400, 'MALFORMED_JSON');
  assertProblem(await call(base, 'POST', `/v1/sessions/${sid}/authorize`, { principal: 'x' }), 400, 'INVALID_INPUT');
  assertProblem(await call(base, 'POST', '/v1/sessions', { agent_id: 'x'.repeat(70_000) }), 413, 'PAYLOAD_TOO_LARGE');
  assertProblem(await call(base, 'POST', '/v1/sessions', 'agent', { 'content-type': 'text/plain' }), 415, 'UNSUPPORTED_MEDIA_TYPE');
  await checkStreamedBodyLimit(base);
  assertProblem(await call(base, 'POST', `/v1/sessions/${sid}/authorize`, '{"principal":{"type":"Agent","id":"a","id":"b"}}'), 400, 'MALFORMED_JSON');
  assertProblem(await call(base, 'POST', `/v1/sessions/${sid}/authorize`, '{"principal":{"type":"Agent","id":"a"},"action":{"type":"Action","id":"read"},"resource":{"type":"R","id":"r"},"context":{"n":9007199254740993}}'), 400, 'INVALID_INPUT');
  assertProblem(await call(base, 'POST', '/v1/sessions/00000000-0000-4000-8000-000000000000/authorize', { principal: { type: 'Agent', id: 'a' }, action: { type: 'Action', id: 'read' }, resource: { type: 'R', id: 'r' } }), 404, 'SESSION_NOT_FOUND');
  assertProblem(await call(base, 'GET', '/v1/audit/blocks/not-a-block'), 404, 'BLOCK_NOT_FOUND');
  assertProblem(await call(base, 'GET', '/nowhere'), 404, 'NOT_FOUND');
  // a known path under another method: 405 with Allow (TRACE, which fetch cannot send: test/api-fuzz.test.ts)
  const wrongMethod = await call(base, 'DELETE', '/v1/sessions');
  assertProblem(wrongMethod, 405, 'METHOD_NOT_ALLOWED');
  assert.equal(wrongMethod.allow, 'GET, HEAD, POST'); // GET lists open sessions (operator)
  assertProblem(await call(base, 'GET', '/v1/audit/proofs/consistency?from=0&from=0&to=0'), 400, 'INVALID_INPUT');

  const closed = await call(base, 'POST', `/v1/sessions/${sid}/close`);
  assert.equal(closed.status, 200, closed.text);
  assert.equal(closed.json.block_id, blockId);
  assert.equal(closed.json.record_count, 5);
  assert.match(closed.json.merkle_root, /^[0-9a-f]{64}$/);
  assert.match(closed.json.block_signature.signature, /^[0-9a-f]{128}$/);
  assertProblem(await authz('read'), 409, 'SESSION_CLOSED');

  const block = await call(base, 'GET', `/v1/audit/blocks/${blockId}`);
  assert.deepEqual(block.json, closed.json);
  const logIndex = closed.json.log_index as number;
  assert.equal(typeof logIndex, 'number');
  const checkpoint = await call(base, 'GET', '/v1/audit/checkpoint');
  assert.equal(checkpoint.status, 200);
  const [origin, size, root] = checkpoint.text.split('\n');
  assert.match(origin ?? '', /^kee\.local\/[0-9a-f]{64}$/);
  assert.ok(Number(size) >= logIndex + 1);
  assert.match(root ?? '', /^[A-Za-z0-9+/]{43}=$/);
  assert.match(checkpoint.text, /\n\n\u2014 kee\.local\/[0-9a-f]{64} [A-Za-z0-9+/]+=*\n$/);
  const proof = await call(base, 'GET', `/v1/audit/proofs/consistency?from=0&to=${size}`);
  assert.equal(proof.status, 200, proof.text);
  const inclusion = await call(base, 'GET', `/v1/audit/proofs/inclusion?block_id=${blockId}&size=${size}`);
  assert.equal(inclusion.status, 200, inclusion.text);
  assert.equal(inclusion.json.leaf_index, logIndex);
  const { log_index: _i, ...stored } = closed.json;
  const entry = await call(base, 'GET', `/v1/audit/log/entries/${logIndex}`);
  assert.equal(entry.status, 200, entry.text);
  assert.deepEqual(entry.json, { index: logIndex, leaf_hash: inclusion.json.leaf_hash, block_id: blockId, block: stored });
  const pkg = await call(base, 'GET', `/v1/audit/blocks/${blockId}/package`);
  assert.equal(pkg.status, 200, pkg.text);
  assert.equal(pkg.json.records.length, 5);
  assert.deepEqual(
    pkg.json.records.map((r: Json) => r.record.ale_type),
    ['SESSION_OPEN', 'CEDAR_PERMIT', 'CEDAR_DENY', 'CEDAR_DENY', 'SESSION_COMPLETE'],
  );
  return { blockId, pkg: pkg.json };
}

/**
 * The policy-decision-point surface on a running kernel: concurrent one-shot decisions (on
 * workerd, requests may not share promises), a batch, the active policy text, /metrics; the
 * kernel-managed session closes into a block whose package is served.
 */
export async function checkDecisionPoint(base: string): Promise<void> {
  const request = (action: string) => ({ principal: { type: 'Agent', id: 'pdp' }, action: { type: 'Action', id: action }, resource: { type: 'Incident', id: 'm7.2' } });
  const oneShots = await Promise.all([call(base, 'POST', '/v1/authorize', request('read')), call(base, 'POST', '/v1/authorize', request('classify_gold'))]);
  for (const r of oneShots) assert.equal(r.status, 200, r.text);
  assert.deepEqual(oneShots.map((r) => r.json.decision), ['PERMIT', 'DENY']);
  const batch = await call(base, 'POST', '/v1/authorize/batch', { requests: [request('classify_gold'), request('read')] });
  assert.equal(batch.status, 200, batch.text);
  assert.deepEqual(batch.json.results.map((r: Json) => r.decision), ['DENY', 'PERMIT']);
  const sessionId = batch.json.results[1].session_id as string;
  const closed = await call(base, 'POST', `/v1/sessions/${sessionId}/close`);
  assert.equal(closed.status, 200, closed.text);
  const pkg = await call(base, 'GET', `/v1/audit/blocks/${closed.json.block_id}/package`);
  assert.equal(pkg.status, 200, pkg.text);
  assert.ok(pkg.json.records.some((r: Json) => r.record.ale_seq === batch.json.results[1].ale_seq && r.record.decision === 'PERMIT'));

  const active = (await call(base, 'GET', '/v1/cap-profile')).json;
  const text = await call(base, 'GET', '/v1/cap-profile/policies');
  assert.equal(text.status, 200, text.text);
  assert.equal(text.json.cedar_policy_hash, active.cedar_policy_hash);
  assert.match(text.json.policies, /@id\("kee-default-read"\)/);

  const metrics = await call(base, 'GET', '/metrics');
  assert.equal(metrics.status, 200);
  assert.equal(metrics.type, 'text/plain; version=0.0.4; charset=utf-8');
  assert.match(metrics.text, /^kee_decisions_total\{decision="PERMIT"\} [1-9]\d*$/m);
  assert.match(metrics.text, /^kee_kernel_state\{state="NORMAL"\} 1$/m);
}

/** A PERMIT's credential verifies against the kernel's JWKS, with a lifetime of exactly 60 s (docs/credentials.md). */
async function checkCredential(base: string, credential: unknown, aleSeq: number, blockId: string): Promise<void> {
  assert.equal(typeof credential, 'string', 'a PERMIT carries a credential');
  const jwks = await call(base, 'GET', '/.well-known/jwks.json');
  assert.equal(jwks.status, 200, jwks.text);
  const { payload, protectedHeader } = await jwtVerify(credential as string, createLocalJWKSet(jwks.json), { algorithms: ['EdDSA'], typ: 'kee-credential+jwt' });
  assert.equal(protectedHeader.kid, jwks.json.keys[0].kid);
  assert.equal((payload.exp as number) - (payload.iat as number), 60);
  assert.equal(payload.ale_seq, aleSeq);
  assert.equal(payload.block_id, blockId);
  const introspected = await call(base, 'POST', '/v1/credentials/introspect', { token: credential });
  assert.equal(introspected.json.active, true, introspected.text);
}
