/**
 * Authenticated agents on workerd (`wrangler dev`, local D1), end to end (docs/identity.md
 * "Agent authentication", docs/edge.md): KEE_OPERATOR_JWKS as JSON text, an operator registers an
 * agent, the agent opens a session with a client assertion and decides with `Authorization: DPoP`
 * and a fresh proof: PERMIT with a credential that verifies against the Worker's JWKS. The
 * refusals (no proof, another `htu`/`htm`, a wrong `ath`, a replayed `jti`, an expired or forged
 * session token, malformed headers) are 401 problems byte for byte the same as a Node kernel's
 * given the same requests (only the URL and session id a `detail` names differ). Then the
 * Worker restarts on its D1 (a new isolate) and the accepted proof, replayed to it, is still
 * refused: the isolates share the ids they saw (`replay_ids`). One Node start; two workerd.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { base64url, createLocalJWKSet, exportJWK, generateKeyPair, jwtVerify, SignJWT, type JWK } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { JoseTokenSigner } from '../../src/adapters/jose/token-signer.ts';
import { agentKeyPair, assertion, dpopHeaders, dpopProof } from '../support/agent-auth.ts';
import { startServer, type RunningServer } from './servers.ts';

const SIGNING_KEY = '42'.repeat(32);
const TOKEN_KEY = '17'.repeat(32);
const AUDIENCE = 'kee-worker';
const now = () => Math.floor(Date.now() / 1000);

let workerd: RunningServer | undefined;
let node: RunningServer | undefined;
let operatorToken: (aud: string) => Promise<string>;
let operatorJwks: string;
let WORKER_VARS: Record<string, string>;

beforeAll(async () => {
  const { privateKey, publicKey } = await generateKeyPair('EdDSA', { extractable: true });
  operatorJwks = JSON.stringify({ keys: [{ ...(await exportJWK(publicKey)), kid: 'wk' }] });
  operatorToken = (aud) => new SignJWT({ roles: ['operator'] }).setProtectedHeader({ alg: 'EdDSA', kid: 'wk' }).setSubject('w-op').setAudience(aud).setExpirationTime('5m').sign(privateKey);
  const dir = mkdtempSync(join(tmpdir(), 'kee-agents-'));
  writeFileSync(join(dir, 'operators.json'), operatorJwks);
  WORKER_VARS = { KEE_AUTH: 'agents', KEE_SIGNING_KEY: SIGNING_KEY, KEE_TOKEN_KEY: TOKEN_KEY, KEE_OPERATOR_JWKS: operatorJwks, KEE_OPERATOR_AUDIENCE: AUDIENCE };
  // KEE_AUTH=agents on both (startServer gives `none` unless told); the same kernel and token keys
  [workerd, node] = await Promise.all([
    startServer('workerd', { vars: WORKER_VARS }),
    startServer('node', { env: { KEE_AUTH: 'agents', KEE_SIGNER: 'ed25519', KEE_SIGNING_KEY: SIGNING_KEY, KEE_TOKEN_KEY: TOKEN_KEY, KEE_OPERATOR_JWKS: join(dir, 'operators.json'), KEE_OPERATOR_AUDIENCE: AUDIENCE } }),
  ]);
}, 240_000);
afterAll(async () => {
  await Promise.all([workerd?.stop(), node?.stop()]);
});

type Answer = { status: number; body: string; challenge: string | null };
const REQUEST = { principal: { type: 'Agent', id: 'a1' }, action: { type: 'Action', id: 'read' }, resource: { type: 'Dataset', id: 'd' }, context: {} };

/**
 * The whole loop against one kernel: what each step answered, by name (problem bodies with the
 * kernel's URL replaced by `<base>`), and the PERMIT's credential with the kernel's JWKS.
 */
async function loop(base: string, beforeClose?: (replay: () => Promise<Response>) => Promise<void>): Promise<{ answers: Record<string, Answer>; credential: string; jwks: unknown; issuer: string; jkt: string }> {
  const answers: Record<string, Answer> = {};
  let sessionId = '';
  const call = async (name: string, path: string, init: { method?: string; headers?: Record<string, string>; body?: unknown } = {}) => {
    const res = await fetch(`${base}${path}`, {
      method: init.method ?? 'POST',
      headers: { ...(init.body === undefined ? {} : { 'content-type': 'application/json' }), ...init.headers },
      ...(init.body === undefined ? {} : { body: typeof init.body === 'string' ? init.body : JSON.stringify(init.body) }),
    });
    const text = (await res.text()).replaceAll(base, '<base>');
    const answer = { status: res.status, body: sessionId ? text.replaceAll(sessionId, '<session>') : text, challenge: res.headers.get('www-authenticate') };
    answers[name] = answer;
    return answer;
  };

  // an operator (KEE_OPERATOR_JWKS, audience checked) registers the agent
  const key = await agentKeyPair();
  const registration = { agent_id: 'a1', public_keys: [key.jwk] };
  await call('register without a token', '/v1/agents', { body: registration });
  await call('register, another audience', '/v1/agents', { body: registration, headers: { authorization: `Bearer ${await operatorToken('other')}` } });
  expect((await call('register', '/v1/agents', { body: registration, headers: { authorization: `Bearer ${await operatorToken(AUDIENCE)}` } })).status).toBe(201);

  const { key_id } = (await (await fetch(`${base}/v1/kernel/public-key`)).json()) as { key_id: string };
  const aud = `kee.local/${key_id}`;
  await call('session without an assertion', '/v1/sessions', { body: { agent_id: 'a1' } });
  await call('session, an assertion that is no JWS', '/v1/sessions', { body: { agent_id: 'a1', client_assertion: 'not-a-jws' } });
  const signed = await assertion(key, 'a1', aud);
  const opened = await call('session', '/v1/sessions', { body: { agent_id: 'a1', client_assertion: signed } });
  expect(opened.status, opened.body).toBe(201);
  await call('session, the assertion replayed', '/v1/sessions', { body: { agent_id: 'a1', client_assertion: signed } });
  const { session_id, session_token } = JSON.parse(opened.body) as { session_id: string; session_token: string };
  sessionId = session_id;

  const path = `/v1/sessions/${session_id}/authorize`;
  const url = `${base}${path}`;
  const authorize = async (name: string, headers: Record<string, string>) => call(name, path, { body: REQUEST, headers });
  await call('one-shot authorize', '/v1/authorize', { body: REQUEST });
  await authorize('no Authorization', {});
  await authorize('no DPoP proof', { authorization: `DPoP ${session_token}` });
  await authorize('a Bearer token', { authorization: `Bearer ${session_token}`, dpop: await dpopProof(key, 'POST', url, session_token) });
  await authorize('a proof that is no JWS', { authorization: `DPoP ${session_token}`, dpop: 'x.y.z' });
  await authorize('a proof for another htu', await dpopHeaders(key, 'POST', `${url}/batch`, session_token));
  await authorize('a proof for another htm', await dpopHeaders(key, 'GET', url, session_token));
  await authorize('a wrong ath', await dpopHeaders(key, 'POST', url, session_token, { ath: base64url.encode(new Uint8Array(32)) }));
  await authorize('a stale iat', await dpopHeaders(key, 'POST', url, session_token, { iat: now() - 120 }));
  await authorize('no jti', await dpopHeaders(key, 'POST', url, session_token, { jti: undefined }));
  const other = await agentKeyPair();
  await authorize('a proof by another key', { authorization: `DPoP ${session_token}`, dpop: await dpopProof(other, 'POST', url, session_token) });
  // session tokens made with the Worker's own token key (KEE_TOKEN_KEY) but expired, and with another key
  const claims = JSON.parse(new TextDecoder().decode(base64url.decode(session_token.split('.')[1] as string))) as Record<string, unknown>;
  const expired = await new JoseTokenSigner(new Uint8Array(32).fill(0x17)).sign('kee-session+jwt', { ...claims, iat: now() - 7200, exp: now() - 3600 });
  await authorize('an expired session token', await dpopHeaders(key, 'POST', url, expired));
  const forged = await new JoseTokenSigner(JoseTokenSigner.generateSeed()).sign('kee-session+jwt', claims);
  await authorize('a forged session token', await dpopHeaders(key, 'POST', url, forged));
  await authorize('a session token that is no JWS', await dpopHeaders(key, 'POST', url, 'abc'));

  const good = await dpopHeaders(key, 'POST', url, session_token);
  const decided = await authorize('authorize', good);
  expect(decided.status, decided.body).toBe(200);
  await authorize('the proof replayed', good);
  // the accepted proof again, to the session still open (for another isolate of the same Worker)
  await beforeClose?.(() => fetch(url, { method: 'POST', headers: { 'content-type': 'application/json', ...good }, body: JSON.stringify(REQUEST) }));
  const closePath = `/v1/sessions/${session_id}/close`;
  await call('close without a proof', closePath, { headers: { authorization: `DPoP ${session_token}` } });
  const closed = await call('close', closePath, { headers: await dpopHeaders(key, 'POST', `${base}${closePath}`, session_token) });
  expect(closed.status, closed.body).toBe(200);

  const jwks = await (await fetch(`${base}/.well-known/jwks.json`)).json();
  return { answers, credential: (JSON.parse(decided.body) as { credential: string }).credential, jwks, issuer: aud, jkt: key.jkt };
}

describe('authenticated agents on workerd', () => {
  it('workerd: register, assertion, DPoP-bound authorize -> PERMIT with a credential the JWKS verifies; every refusal the same 401 problem as on Node; the accepted proof replayed to a new isolate refused', async () => {
    // before the session closes, the Worker restarts on its D1 at the same URL: a new isolate that
    // has never seen the accepted proof in memory still refuses it (the isolates share `replay_ids`)
    let elsewhere: Answer | undefined;
    const restart = async (replay: () => Promise<Response>) => {
      const { dataDir, base } = workerd!;
      await workerd!.stop();
      workerd = await startServer('workerd', { dataDir, vars: WORKER_VARS, port: Number(new URL(base).port) });
      const res = await replay();
      elsewhere = { status: res.status, body: await res.text(), challenge: res.headers.get('www-authenticate') };
    };
    const [w, n] = await Promise.all([loop(workerd!.base, restart), loop(node!.base)]);
    expect(elsewhere).toEqual(w.answers['the proof replayed']);

    // the PERMIT and its credential, verified against the Worker's own JWKS
    expect(JSON.parse(w.answers.authorize!.body)).toMatchObject({ decision: 'PERMIT' });
    const { payload, protectedHeader } = await jwtVerify(w.credential, createLocalJWKSet(w.jwks as { keys: JWK[] }), { issuer: w.issuer, typ: 'kee-credential+jwt' });
    expect(protectedHeader.alg).toBe('EdDSA');
    expect(payload.cnf).toEqual({ jkt: w.jkt });
    expect(w.jwks).toEqual(n.jwks); // the same KEE_TOKEN_KEY on both

    const problem = (name: string) => JSON.parse(w.answers[name]!.body) as { type: string; title: string; status: number; code: string; detail: string };
    const refused = Object.keys(w.answers).filter((k) => !['register', 'session', 'authorize', 'close'].includes(k));
    expect(refused).toHaveLength(21);
    expect(JSON.parse(w.answers.register!.body)).toMatchObject({ agent_id: 'a1', status: 'ACTIVE' });
    for (const name of refused) {
      const a = w.answers[name]!;
      expect(a.status, `${name}: ${a.body}`).toBe(401);
      expect(a.body, name).not.toContain('\n');
      expect(problem(name), name).toMatchObject({ type: 'urn:kee:error:unauthenticated', status: 401, code: 'UNAUTHENTICATED' });
    }
    expect(problem('no DPoP proof').detail).toBe('the `DPoP` proof header is missing');
    expect(problem('a proof for another htu').detail).toBe("the `DPoP` proof's `htu` must be `<base>/v1/sessions/<session>/authorize`");
    expect(problem('a proof for another htm').detail).toBe("the `DPoP` proof's `htm` must be `POST`");
    expect(problem('a wrong ath').detail).toBe("the `DPoP` proof's `ath` is not the hash of the session token");
    expect(problem('the proof replayed').detail).toBe('the `DPoP` proof was already used (`jti` replayed)');
    expect(problem('an expired session token').detail).toBe('the session token has expired: open a new session');
    expect(problem('a forged session token').detail).toBe('the session token does not verify');
    expect(problem('session, the assertion replayed').detail).toBe('`client_assertion` was already used (`jti` replayed)');
    expect(w.answers['no DPoP proof']!.challenge).toBe('DPoP realm="kee", algs="EdDSA", error="invalid_token"');
    expect(w.answers['no Authorization']!.challenge).toBe('DPoP realm="kee", algs="EdDSA"');
    expect(w.answers['register without a token']!.challenge).toBe('Bearer realm="kee"');

    // Node answers every step with the same status, problem bytes and challenge
    expect(Object.keys(w.answers)).toEqual(Object.keys(n.answers));
    for (const name of refused) expect(w.answers[name], name).toEqual(n.answers[name]);
  }, 120_000);
});
