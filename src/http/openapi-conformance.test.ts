/**
 * Answers a fuzzer cannot provoke from outside (a kernel not started, the store down, signing
 * suspended, tampered data, a failed manifest) are described by /openapi.json too: status, media
 * type, the problem `code` in that status's enum, and `Retry-After` on every 503.
 */
import { describe, expect, it } from 'vitest';
import { Ed25519Signer } from '../adapters/noble/ed25519.ts';
import { DomainError } from '../kernel/errors.ts';
import { capProfileDeps, makePublishers } from '../../test/support/cap-profile.ts';
import { agentRead, makeHarness, type Harness } from '../../test/support/harness.ts';
import { agentKeyPair, assertion, dpopHeaders } from '../../test/support/agent-auth.ts';
import { makeOperators } from '../../test/support/operators.ts';
import { OPENAPI } from './openapi.ts';

type Answer = Awaited<ReturnType<Harness['call']>>;
type Response = { content?: Record<string, { schema?: { properties?: { code?: { enum?: string[] } } } }>; headers?: Record<string, unknown> };
const paths = OPENAPI.paths as unknown as Record<string, Record<string, { responses: Record<string, Response> }>>;

/** Fails unless the document describes `answer` for `method template`. */
function expectDescribed(method: string, template: string, answer: Answer): void {
  const where = `${method} ${template} answered ${answer.status} ${answer.text.slice(0, 200)}`;
  const response = paths[template]?.[method.toLowerCase()]?.responses[String(answer.status)];
  expect(response, `${where}: status not in the document`).toBeDefined();
  const type = (answer.headers.get('content-type') ?? '').split(';')[0]!.trim();
  expect(Object.keys(response!.content ?? {}), `${where}: media type`).toContain(type);
  if (type === 'application/problem+json') {
    expect(response!.content![type]!.schema!.properties!.code!.enum, `${where}: code`).toContain(answer.json.code);
    expect(answer.json.status).toBe(answer.status);
  }
  if (answer.status === 503) {
    expect(answer.headers.get('retry-after'), `${where}: Retry-After`).toMatch(/^\d+$/);
    expect(response!.headers, `${where}: Retry-After documented`).toHaveProperty('Retry-After');
  }
}

const UNKNOWN_SESSION = '00000000-0000-4000-8000-000000000000';
const UNKNOWN_BLOCK = '0'.repeat(32);

/** One request to every documented operation; ids from `ids` when given (a real session and block). */
async function callEverything(h: Harness, ids: { session?: string; block?: string; operator?: Record<string, string> } = {}): Promise<Answer[]> {
  const op = ids.operator;
  const session = ids.session ?? UNKNOWN_SESSION;
  const block = ids.block ?? UNKNOWN_BLOCK;
  const calls: [string, string, string, unknown?, Record<string, string>?][] = [
    ['GET', '/healthz', '/healthz'],
    ['GET', '/openapi.json', '/openapi.json'],
    ['GET', '/v1/kernel/public-key', '/v1/kernel/public-key'],
    ['GET', '/v1/manifest', '/v1/manifest'],
    ['POST', '/v1/sessions', '/v1/sessions', { agent_id: 'a' }],
    ['POST', '/v1/sessions/{session_id}/authorize', `/v1/sessions/${session}/authorize`, agentRead()],
    ['POST', '/v1/sessions/{session_id}/tool-results', `/v1/sessions/${session}/tool-results`, { decision_seq: 2, tool: 'fs/read_text_file', arguments_digest: `sha256:${'ab'.repeat(32)}`, outcome: 'ok', result_digest: null }],
    ['POST', '/v1/sessions/{session_id}/close', `/v1/sessions/${session}/close`],
    ['GET', '/v1/cap-profile', '/v1/cap-profile'],
    ['PUT', '/v1/cap-profile', '/v1/cap-profile', { payload: 'e30', signatures: [{ protected: 'e30', signature: 'AA' }] }],
    ['GET', '/v1/party-registry', '/v1/party-registry'],
    ['PUT', '/v1/party-registry', '/v1/party-registry', { payload: 'e30', signatures: [{ protected: 'e30', signature: 'AA' }] }],
    ['GET', '/v1/audit/blocks/{block_id}', `/v1/audit/blocks/${block}`],
    ['GET', '/v1/audit/blocks/{block_id}/package', `/v1/audit/blocks/${block}/package`],
    ['GET', '/v1/audit/blocks/{block_id}/package', `/v1/audit/blocks/${block}/package?format=ndjson`],
    ['GET', '/v1/audit/checkpoint', '/v1/audit/checkpoint'],
    ['GET', '/v1/audit/checkpoint', '/v1/audit/checkpoint', undefined, { accept: 'application/json' }],
    ['GET', '/v1/audit/proofs/consistency', '/v1/audit/proofs/consistency?from=0&to=0'],
    ['GET', '/v1/audit/proofs/inclusion', `/v1/audit/proofs/inclusion?block_id=${block}`],
    ['GET', '/v1/audit/proofs/inclusion', '/v1/audit/proofs/inclusion?index=0'],
    ['GET', '/v1/audit/log/entries/{index}', '/v1/audit/log/entries/0'],
    ['GET', '/v1/audit/journal', '/v1/audit/journal'],
    ['GET', '/v1/ptd/controls/{control_id}', '/v1/ptd/controls/disaster-response:auto-gold-needs-human'],
    ['GET', '/v1/ptd/controls/{control_id}', '/v1/ptd/controls/no-such-control'],
    ['GET', '/v1/audit/journal', '/v1/audit/journal?from=2'],
    ['GET', '/metrics', '/metrics'],
    ['GET', '/v1/cap-profile/policies', '/v1/cap-profile/policies'],
    ['GET', '/v1/cap-profile/policies', '/v1/cap-profile/policies', undefined, { accept: 'text/plain' }],
    ['GET', '/v1/cap-profile/history', '/v1/cap-profile/history'],
    ['GET', '/v1/cap-profile/history/{seq}', '/v1/cap-profile/history/1'],
    ['POST', '/v1/sessions/{session_id}/authorize/batch', `/v1/sessions/${session}/authorize/batch`, { requests: [agentRead(), agentRead()] }],
    ['POST', '/v1/authorize', '/v1/authorize', agentRead()],
    ['POST', '/v1/authorize/batch', '/v1/authorize/batch', { requests: [agentRead()] }],
    ['POST', '/v1/agents', '/v1/agents', { agent_id: 'a', public_keys: [{ kty: 'OKP', crv: 'Ed25519', x: '11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo' }] }, op],
    ['GET', '/v1/agents', '/v1/agents', undefined, op],
    ['GET', '/v1/agents/{agent_id}', '/v1/agents/a', undefined, op],
    ['PATCH', '/v1/agents/{agent_id}', '/v1/agents/a', { status: 'SUSPENDED' }, op],
    ['POST', '/v1/agents/{agent_id}/revoke', '/v1/agents/a/revoke', undefined, op],
    ['GET', '/v1/hem/escalations', '/v1/hem/escalations?status=PENDING', undefined, op],
    ['GET', '/v1/hem/escalations/{hem_id}', '/v1/hem/escalations/hem-unknown', undefined, op],
    ['POST', '/v1/hem/escalations/{hem_id}/approve', '/v1/hem/escalations/hem-unknown/approve', { comment: 'ok' }, op],
    ['POST', '/v1/hem/escalations/{hem_id}/reject', '/v1/hem/escalations/hem-unknown/reject', undefined, op],
    // without a token: the stream itself stays open (test/hem.test.ts reads it)
    ['GET', '/v1/hem/events', '/v1/hem/events'],
    ['GET', '/v1/decisions/stream', '/v1/decisions/stream?follow=false', undefined, op],
    ['POST', '/v1/xpid/derive', '/v1/xpid/derive', { initiating_kia_id: 'a', responding_kia_id: 'b', initiated_at: '2026-07-20T09:14:33Z', initiating_nonce: 'c', responding_nonce: 'd' }],
    ['GET', '/.well-known/jwks.json', '/.well-known/jwks.json'],
    ['POST', '/v1/credentials/introspect', '/v1/credentials/introspect', { token: 'not.a.credential' }],
    ['POST', '/v1/credentials/revoke', '/v1/credentials/revoke', { token: 'not.a.credential' }],
    ['GET', '/v1/credentials/revocations', '/v1/credentials/revocations?since=0'],
    ['POST', '/v1/revocations', '/v1/revocations', { kind: 'KIA_KEY', id: 'k-1' }, op],
    ['GET', '/v1/revocations', '/v1/revocations?since=0'],
    ['GET', '/v1/revocations/events', '/v1/revocations/events', undefined, op],
    ['GET', '/v1/sessions', '/v1/sessions?status=OPEN', undefined, op],
    ['GET', '/v1/sessions', '/v1/sessions?status=CLOSED', undefined, op],
    ['GET', '/.well-known/ssf-configuration', '/.well-known/ssf-configuration'],
    ['POST', '/ssf/streams', '/ssf/streams', { delivery: { method: 'urn:ietf:rfc:8936' } }, op],
    ['GET', '/ssf/streams', '/ssf/streams', undefined, op],
    ['PATCH', '/ssf/streams', '/ssf/streams', { stream_id: 'nope', description: 'x' }, op],
    ['PUT', '/ssf/streams', '/ssf/streams', { stream_id: 'nope', delivery: { method: 'urn:ietf:rfc:8936' } }, op],
    ['GET', '/ssf/status', '/ssf/status?stream_id=nope', undefined, op],
    ['POST', '/ssf/status', '/ssf/status', { stream_id: 'nope', status: 'paused' }, op],
    ['POST', '/ssf/verify', '/ssf/verify', { stream_id: 'nope' }, op],
    ['POST', '/ssf/poll/{stream_id}', '/ssf/poll/nope', { returnImmediately: true }, op],
    ['DELETE', '/ssf/streams', '/ssf/streams?stream_id=nope', undefined, op],
    ['POST', '/ssf/push', '/ssf/push', 'not.a.set', { 'content-type': 'application/secevent+jwt' }],
    ['GET', '/.well-known/soos-acd', `/.well-known/soos-acd?aep_session_id=${session}`, undefined, { accept: 'application/soos-acd+json' }],
    ['GET', '/.well-known/soos-acd', `/.well-known/soos-acd?aep_session_id=${session}`, undefined, { accept: 'text/html' }],
    ['POST', '/v1/acd/{acd_session_id}/grant', `/v1/acd/${UNKNOWN_SESSION}/grant`, { decision: 'GRANTED' }],
  ];
  const answers: Answer[] = [];
  for (const [method, template, path, body, headers] of calls) {
    const a = await h.call(method, path, body, headers);
    expectDescribed(method, template, a);
    answers.push(a);
  }
  // every documented operation was called
  const called = new Set(calls.map(([m, t]) => `${m} ${t}`));
  for (const [template, ops] of Object.entries(paths)) for (const m of Object.keys(ops)) expect(called).toContain(`${m.toUpperCase()} ${template}`);
  return answers;
}

async function closedSession(h: Harness): Promise<{ session: string; block: string }> {
  const { json: s } = await h.call('POST', '/v1/sessions', { agent_id: 'a' });
  await h.call('POST', `/v1/sessions/${s.session_id}/authorize`, agentRead());
  expect((await h.call('POST', `/v1/sessions/${s.session_id}/close`)).status).toBe(200);
  return { session: s.session_id, block: s.block_id };
}

describe('every answer is one the document describes', () => {
  it('a running kernel: real sessions and blocks, both package and checkpoint forms', async () => {
    const operators = await makeOperators();
    const h = makeHarness({ deps: { capProfile: capProfileDeps(await makePublishers(3)), operatorTokens: operators.verifier } });
    const ids = await closedSession(h);
    const answers = await callEverything(h, { ...ids, operator: await operators.bearer('operator') });
    expect(answers.filter((a) => a.status >= 500)).toEqual([]);
    expect(answers.filter((a) => a.json?.agent_id === 'a' && a.json.xpid).map((a) => a.status)).toEqual([201, 200, 200, 200]);
    // without a token: 401, described
    const { json: anon } = await h.call('GET', '/v1/agents');
    expect(anon.code).toBe('UNAUTHENTICATED');
    expect(answers.filter((a) => a.status === 422).map((a) => a.json.code)).toEqual(['CAP_SIGNATURES_INSUFFICIENT', 'PARTY_REGISTRY_SIGNATURES_INSUFFICIENT']);
    expect(answers.find((a) => a.headers.get('content-type') === 'application/x-ndjson')).toBeDefined();
  });

  it('KEE_AUTH=agents: the session token answer, 401 with WWW-Authenticate: DPoP and 403 for a suspended agent are described', async () => {
    const operators = await makeOperators();
    const h = makeHarness({ deps: { operatorTokens: operators.verifier, options: { auth: 'agents' } } });
    const op = await operators.bearer('operator');
    const key = await agentKeyPair();
    expect((await h.call('POST', '/v1/agents', { agent_id: 'a', public_keys: [key.jwk] }, op)).status).toBe(201);
    const opened = await h.call('POST', '/v1/sessions', { agent_id: 'a', client_assertion: await assertion(key, 'a', h.kernel.issuer), client_assertion_type: 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer' });
    expect(opened.status, opened.text).toBe(201);
    expectDescribed('POST', '/v1/sessions', opened);
    const { session_id: id, session_token: token } = opened.json;
    const url = (p: string) => `http://kee.test/v1/sessions/${id}/${p}`;
    const proven = await h.call('POST', `/v1/sessions/${id}/authorize`, agentRead('other'), await dpopHeaders(key, 'POST', url('authorize'), token));
    expect(proven.json.reasons[0]).toMatch(/^PRINCIPAL_MISMATCH/);
    expectDescribed('POST', '/v1/sessions/{session_id}/authorize', proven);
    // the credential endpoints: operator roles, or the holder's DPoP proof for revocation
    const permit = await h.call('POST', `/v1/sessions/${id}/authorize`, agentRead('a'), await dpopHeaders(key, 'POST', url('authorize'), token));
    const credential = permit.json.credential as string;
    const revokeUrl = 'http://kee.test/v1/credentials/revoke';
    const credentialCalls: [string, string, Record<string, string>, number][] = [
      ['/v1/credentials/introspect', credential, {}, 401],
      ['/v1/credentials/introspect', credential, await operators.bearer('approver'), 403],
      ['/v1/credentials/introspect', credential, await operators.bearer('auditor'), 200],
      ['/v1/credentials/revoke', credential, await operators.bearer('auditor'), 403],
      ['/v1/credentials/revoke', credential, await dpopHeaders(await agentKeyPair(), 'POST', revokeUrl, credential), 401],
      ['/v1/credentials/revoke', credential, await dpopHeaders(key, 'POST', revokeUrl, credential), 200],
    ];
    for (const [path, t, headers, status] of credentialCalls) {
      const a = await h.call('POST', path, { token: t }, headers);
      expect(a.status, `${path} ${a.text}`).toBe(status);
      expectDescribed('POST', path, a);
    }
    const refusals: [string, string, string, unknown?][] = [
      ['POST', '/v1/sessions', '/v1/sessions', { agent_id: 'a' }],
      ['POST', '/v1/sessions/{session_id}/authorize', `/v1/sessions/${id}/authorize`, agentRead('a')],
      ['POST', '/v1/sessions/{session_id}/authorize/batch', `/v1/sessions/${id}/authorize/batch`, { requests: [agentRead('a')] }],
      ['POST', '/v1/sessions/{session_id}/tool-results', `/v1/sessions/${id}/tool-results`, { decision_seq: 2, tool: 't', arguments_digest: `sha256:${'ab'.repeat(32)}`, outcome: 'failed', result_digest: null }],
      ['POST', '/v1/sessions/{session_id}/close', `/v1/sessions/${id}/close`],
      ['POST', '/v1/authorize', '/v1/authorize', agentRead('a')],
      ['POST', '/v1/authorize/batch', '/v1/authorize/batch', { requests: [agentRead('a')] }],
    ];
    for (const [method, template, path, body] of refusals) {
      const a = await h.call(method, path, body);
      expect(a.status, path).toBe(401);
      expect(a.headers.get('www-authenticate'), path).toMatch(/^DPoP realm="kee"/);
      expectDescribed(method, template, a);
    }
    expect((await h.call('PATCH', '/v1/agents/a', { status: 'SUSPENDED' }, op)).status).toBe(200);
    const suspended = await h.call('POST', '/v1/sessions', { agent_id: 'a', client_assertion: await assertion(key, 'a', h.kernel.issuer) });
    expect(suspended.status).toBe(403);
    expectDescribed('POST', '/v1/sessions', suspended);
    const closed = await h.call('POST', `/v1/sessions/${id}/close`, undefined, await dpopHeaders(key, 'POST', url('close'), token));
    expect(closed.status, closed.text).toBe(200);
    expectDescribed('POST', '/v1/sessions/{session_id}/close', closed);
  });

  it('client mistakes the schema cannot state: from > to, duplicate entity uids, a repeated query parameter', async () => {
    const h = makeHarness();
    const ids = await closedSession(h);
    const { json: open } = await h.call('POST', '/v1/sessions', { agent_id: 'a' });
    const dup = { ...agentRead(), entities: [{ uid: { type: 'A', id: 'x' } }, { uid: { type: 'A', id: 'x' }, attrs: { n: 1 } }] };
    const cases: [string, string, string, unknown?][] = [
      ['GET', '/v1/audit/proofs/consistency', '/v1/audit/proofs/consistency?from=1&to=0'],
      ['GET', '/v1/audit/proofs/consistency', '/v1/audit/proofs/consistency?from=0&to=5'],
      ['GET', '/v1/audit/proofs/consistency', '/v1/audit/proofs/consistency?from=0&to=1&to=1'],
      ['GET', '/v1/audit/blocks/{block_id}/package', `/v1/audit/blocks/${ids.block}/package?format=json&format=ndjson`],
      ['GET', '/v1/audit/blocks/{block_id}/package', `/v1/audit/blocks/${ids.block}/package?format=xml`],
      ['POST', '/v1/sessions/{session_id}/authorize', `/v1/sessions/${open.session_id}/authorize`, dup],
    ];
    for (const [method, template, path, body] of cases) {
      const a = await h.call(method, path, body);
      expect(a.status, path).toBe(400);
      expect(a.json.code).toBe('INVALID_INPUT');
      expectDescribed(method, template, a);
    }
    expect((await h.call('GET', '/v1/audit/proofs/consistency?from=1&to=1&to=1')).json.detail).toContain('`to` is given 2 times');
  });

  it('string lengths count as the document counts them (code points, as zod does), not UTF-16 units', async () => {
    const h = makeHarness();
    expect((await h.call('POST', '/v1/sessions', { agent_id: '😀'.repeat(256) })).status).toBe(201);
    expect((await h.call('POST', '/v1/sessions', { agent_id: '😀'.repeat(257) })).status).toBe(400);
    const { json: s } = await h.call('POST', '/v1/sessions', { agent_id: 'a' });
    const wide = { ...agentRead(), resource: { type: '𝔇'.repeat(256), id: '𝔡'.repeat(1024) } };
    expect((await h.call('POST', `/v1/sessions/${s.session_id}/authorize`, wide)).status).toBe(200);
  });

  it('a kernel not started: 503 KERNEL_NOT_STARTED where the route waits for the start', async () => {
    const h = makeHarness({ start: false });
    const answers = await callEverything(h);
    expect(answers.filter((a) => a.json?.code === 'KERNEL_NOT_STARTED').length).toBeGreaterThanOrEqual(5);
  });

  it('the audit store down: 503 GAR_UNAVAILABLE, nowhere a 500', async () => {
    const h = makeHarness();
    const ids = await closedSession(h);
    h.store.failWith = new Error('disk gone');
    const answers = await callEverything(h, ids);
    expect(answers.filter((a) => a.status === 500)).toEqual([]);
    expect(answers.filter((a) => a.json?.code === 'GAR_UNAVAILABLE').length).toBeGreaterThanOrEqual(5);
  });

  it('signing suspended: 503 SIGNER_FAILED from close and checkpoint', async () => {
    const real = new Ed25519Signer(Ed25519Signer.generateSeed());
    let broken = false;
    const signer = Object.assign(Object.create(real) as Ed25519Signer, {
      sign: (m: Uint8Array) => (broken ? Promise.reject(new DomainError('SIGNER_FAILED', 'no quorum')) : real.sign(m)),
    });
    const h = makeHarness({ signer });
    await h.started;
    const { json: s } = await h.call('POST', '/v1/sessions', { agent_id: 'a' });
    broken = true;
    const answers = await callEverything(h, { session: s.session_id });
    expect(answers.filter((a) => a.json?.code === 'SIGNER_FAILED').length).toBeGreaterThanOrEqual(2);
  });

  it('tampered audit data: 409 AUDIT_TAMPERED from the block, its package (both forms) and the session', async () => {
    const h = makeHarness();
    const ids = await closedSession(h);
    const rec = h.store.rawRecords(ids.session)[1]!;
    rec.canonical = rec.canonical.replace('PERMIT', 'DENY_');
    const answers = await callEverything(h, ids);
    expect(answers.filter((a) => a.json?.code === 'AUDIT_TAMPERED').length).toBeGreaterThanOrEqual(3);
  });

  it('a tampered stored manifest: 503 MANIFEST_INTEGRITY_FAILURE from the manifest, close and checkpoint', async () => {
    const h = makeHarness();
    await h.started;
    const { json: s } = await h.call('POST', '/v1/sessions', { agent_id: 'a' });
    const doc = h.store.rawDocument('gec_manifest', 1)!;
    doc.body = doc.body.replace('"epoch":1', '"epoch":9');
    const answers = await callEverything(h, { session: s.session_id });
    expect(answers.filter((a) => a.json?.code === 'MANIFEST_INTEGRITY_FAILURE').length).toBeGreaterThanOrEqual(3);
  });
});
