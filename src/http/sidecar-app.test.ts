/**
 * The sidecar's HTTP face in-process (the same app `kee signer serve` runs), driven through
 * HttpParticipant with app.fetch as its transport, and through `kee signer serve`'s node:http
 * listener (signing routes straight to FrostSidecar, the rest to the app) on loopback:
 * coordinator authentication, replay, nonce reuse, input validation, with the same answers on
 * both fronts. test/sidecar.test.ts runs it as real processes.
 */
import { createServer, type Server } from 'node:http';
import { getRequestListener } from '@hono/node-server';
import { freePort } from '../../test/support/free-port.ts';
import { sidecarListener } from '../entry/sidecar-listener.ts';
import { FrostSidecar } from './sidecar-frost.ts';
import { ed25519 } from '@noble/curves/ed25519.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadKeeWasm } from '../../test/support/wasm.ts';
import { runDkg } from '../adapters/frost/ceremony.ts';
import { CoordinatorVerifier, coordinatorHeaders, coordinatorPublicKey, REPLAY_WINDOW_MS, webCryptoEd25519 } from '../adapters/frost/coordinator-auth.ts';
import { nodeEd25519 } from '../entry/node-ed25519.ts';
import { FrostSigner } from '../adapters/frost/frost-signer.ts';
import { HttpParticipant } from '../adapters/frost/http-participant.ts';
import { createSidecarApp } from './sidecar-app.ts';

const wasm = loadKeeWasm();
const utf8 = (s: string) => new TextEncoder().encode(s);
const hex = (b: Uint8Array) => Buffer.from(b).toString('hex');

// the same suite with request signatures made and checked by WebCrypto and by node:crypto (what `kee signer serve` and `npm start` use)
describe.each([
  ['WebCrypto', webCryptoEd25519, 'hono'],
  ['node:crypto', nodeEd25519, 'hono'],
  ['node:crypto', nodeEd25519, 'node:http'],
] as const)('FROST sidecar app (coordinator signatures over %s, served by %s)', (_name, provider, front) => {
  const { participants, publicPackage, groupKey } = runDkg(wasm);
  const coordinator = ed25519.utils.randomSecretKey();
  let now = Date.now();
  let sessionClock = Date.now();
  const sidecars = participants.map((p) => {
    const auth = new CoordinatorVerifier(coordinatorPublicKey(coordinator), p.id, () => now, provider);
    const frost = new FrostSidecar(p.handle, auth, { now: () => sessionClock });
    return { frost, app: createSidecarApp(p.handle, auth, { frost }) };
  });
  // 'hono': app.fetch in-process; 'node:http': real loopback servers running kee signer serve's listener
  const servers: Server[] = [];
  const bases: string[] = [];
  /** What the node:http listener handed to the Hono app (everything but the signing routes). */
  const viaHono: string[] = [];
  beforeAll(async () => {
    if (front !== 'node:http') return;
    for (const { frost, app } of sidecars) {
      const port = await freePort();
      const hono = getRequestListener(app.fetch);
      const server = createServer(
        sidecarListener(frost, (req, res) => {
          viaHono.push(`${req.method} ${req.url}`);
          return hono(req, res);
        }),
      );
      await new Promise<void>((r) => server.listen(port, '127.0.0.1', r));
      servers.push(server);
      bases.push(`http://127.0.0.1:${port}`);
    }
  });
  afterAll(async () => {
    for (const s of servers) {
      s.closeAllConnections();
      await new Promise((r) => s.close(r));
    }
  });
  const apps = sidecars.map((_, i) => ({
    fetch: async (r: Request): Promise<Response> => {
      if (front === 'hono') return sidecars[i]!.app.fetch(r);
      const body = r.method === 'POST' ? new Uint8Array(await r.arrayBuffer()) : undefined;
      return fetch(r.url.replace('http://sidecar.test', bases[i]!), { method: r.method, headers: r.headers, ...(body ? { body } : {}) });
    },
  }));
  const remote = (i: number, key = coordinator) => new HttpParticipant({ id: i + 1, baseUrl: 'http://sidecar.test', coordinatorKey: key, ed25519: provider, transport: async (r) => apps[i]!.fetch(r) });
  const post = (i: number, path: string, body: unknown, headers: Record<string, string> = {}) =>
    apps[i]!.fetch(new Request(`http://sidecar.test${path}`, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: typeof body === 'string' ? body : JSON.stringify(body) }));
  const signed = async (i: number, path: string, body: unknown, key = coordinator, participant = i + 1) => {
    const bytes = utf8(JSON.stringify(body));
    return post(i, path, body, await coordinatorHeaders(provider.signer(key), { method: 'POST', path, participant, body: bytes, now }));
  };

  it('signs 2-of-3 through HTTP participants; the signature is plain Ed25519 under the group key', async () => {
    const signer = new FrostSigner({ wasm, publicPackage, participants: [0, 1, 2].map((i) => remote(i)) });
    const sig = await signer.sign(utf8('block'));
    expect(ed25519.verify(sig, utf8('block'), groupKey)).toBe(true);
    expect(await signer.probe()).toEqual({ threshold: 2, participants: 3, available: [1, 2, 3], unavailable: [] });
    // through the listener, the signing routes never reach Hono; the health probes do
    if (front === 'node:http') expect(viaHono).toEqual(['GET /healthz', 'GET /healthz', 'GET /healthz']);
  });

  it('answers its identity without authentication', async () => {
    const r = await apps[0]!.fetch(new Request('http://sidecar.test/healthz'));
    expect(await r.json()).toEqual({ status: 'ok', participant: 1, threshold: 2, participants: 3, group_key: hex(groupKey) });
  });

  it('refuses requests not signed by the coordinator (401 UNAUTHENTICATED)', async () => {
    const body = { session_id: '01' };
    const cases = [
      await post(0, '/v1/frost/round1', body),
      await signed(0, '/v1/frost/round1', body, ed25519.utils.randomSecretKey()),
      // signed for participant 2, sent to participant 1
      await signed(0, '/v1/frost/round1', body, coordinator, 2),
    ];
    for (const r of cases) {
      expect(r.status).toBe(401);
      expect(r.headers.get('content-type')).toBe('application/problem+json');
      expect(await r.json()).toMatchObject({ code: 'UNAUTHENTICATED' });
    }
    // a signed body that was altered on the way
    const headers = await coordinatorHeaders(coordinator, { method: 'POST', path: '/v1/frost/round1', participant: 1, body: utf8('{"session_id":"02"}'), now });
    const altered = await post(0, '/v1/frost/round1', { session_id: '03' }, headers);
    expect(altered.status).toBe(401);
    await expect(remote(0, ed25519.utils.randomSecretKey()).round1(utf8('s'))).rejects.toThrow(/participant 1 refused: UNAUTHENTICATED/);
  });

  it('refuses a replayed request and one outside the time window', async () => {
    const body = utf8(JSON.stringify({ session_id: '0a' }));
    const headers = await coordinatorHeaders(coordinator, { method: 'POST', path: '/v1/frost/round1', participant: 1, body, now });
    expect((await post(0, '/v1/frost/round1', { session_id: '0a' }, headers)).status).toBe(200);
    const again = await post(0, '/v1/frost/round1', { session_id: '0a' }, headers);
    expect(again.status).toBe(401);
    expect((await again.json()).detail).toBe('replayed request (its nonce was already used)');
    const old = await coordinatorHeaders(coordinator, { method: 'POST', path: '/v1/frost/round1', participant: 1, body: utf8('{"session_id":"0b"}'), now: now - REPLAY_WINDOW_MS - 1000 });
    const stale = await post(0, '/v1/frost/round1', { session_id: '0b' }, old);
    expect(stale.status).toBe(401);
    expect((await stale.json()).detail).toMatch(/timestamp is 31 s off/);
    now += 1;
  });

  it('refuses a second round 2 for the same session (nonce reuse, 409) over HTTP', async () => {
    const [a, b] = [remote(0), remote(1)];
    const sid = utf8('session-reuse');
    const commitments = new Uint8Array([...(await a.round1(sid)), ...(await b.round1(sid))]);
    const req = { sessionId: sid, message: utf8('m'), ids: [1, 2], commitments };
    expect((await a.round2(req)).length).toBe(32);
    await expect(a.round2(req)).rejects.toThrow(/participant 1 refused: CONFLICT: participant 1 round 2: round 2 already ran for session/);
    await expect(a.round2({ ...req, message: utf8('other') })).rejects.toThrow(/CONFLICT/);
    await expect(a.round1(sid)).rejects.toThrow(/CONFLICT/);
    await b.cancel(sid);
  });

  it('drops nonces of sessions abandoned between the rounds, so they cannot fill the 64 open slots', async () => {
    const p3 = remote(2);
    for (let i = 0; i < 64; i++) await p3.round1(utf8(`abandoned-${i}`));
    await expect(p3.round1(utf8('one-more'))).rejects.toThrow(/64 open sessions/);
    sessionClock += 61_000;
    expect((await p3.round1(utf8('one-more'))).length).toBe(64);
    // an abandoned session's nonces are gone: its round 2 is refused
    await expect(p3.round2({ sessionId: utf8('abandoned-0'), message: utf8('m'), ids: [2, 3], commitments: new Uint8Array(128) })).rejects.toThrow(/CONFLICT/);
    await p3.cancel(utf8('one-more'));
  });

  it('validates bodies: clear 4xx problems', async () => {
    const cases: [unknown, number, string][] = [
      ['{"session_id":', 400, 'MALFORMED_JSON'],
      [{ session_id: 'xyz' }, 400, 'INVALID_INPUT'],
      [{ session_id: '' }, 400, 'INVALID_INPUT'],
      [{ session_id: '00', extra: 1 }, 400, 'INVALID_INPUT'],
    ];
    for (const [body, status, code] of cases) {
      const bytes = utf8(typeof body === 'string' ? body : JSON.stringify(body));
      const headers = await coordinatorHeaders(coordinator, { method: 'POST', path: '/v1/frost/round1', participant: 1, body: bytes, now });
      const r = await post(0, '/v1/frost/round1', typeof body === 'string' ? body : JSON.stringify(body), headers);
      expect(r.status, JSON.stringify(body)).toBe(status);
      const j = await r.json();
      expect(j.code).toBe(code);
      expect(JSON.stringify(j)).not.toMatch(/\.ts:\d+|\n\s+at /);
    }
    const r2 = await signed(0, '/v1/frost/round2', { session_id: '00', message: '', ids: [1, 2], commitments: '00'.repeat(64) });
    expect(await r2.json()).toMatchObject({ status: 400, code: 'INVALID_INPUT', detail: expect.stringContaining('commitments must be 64 bytes per id') });
    const r3 = await signed(0, '/v1/frost/round2', { session_id: '77', message: '', ids: [1, 2], commitments: '00'.repeat(128) });
    expect(await r3.json()).toMatchObject({ status: 400, code: 'INVALID_INPUT', detail: expect.stringContaining('no round 1 for session') });
    expect((await apps[0]!.fetch(new Request('http://sidecar.test/v1/nothing'))).status).toBe(404);
    expect((await post(0, '/v1/frost/round3', {})).status).toBe(404);
    // over the 64 KiB limit, declared or not: 413 before the signature is even checked
    const big = JSON.stringify({ session_id: '00', pad: 'x'.repeat(70_000) });
    const tooBig = await post(0, '/v1/frost/round1', big);
    expect(tooBig.status).toBe(413);
    expect(await tooBig.json()).toMatchObject({ code: 'PAYLOAD_TOO_LARGE' });
    // wrong media type, correctly signed
    const text = utf8(JSON.stringify({ session_id: '0c' }));
    const h = await coordinatorHeaders(provider.signer(coordinator), { method: 'POST', path: '/v1/frost/round1', participant: 1, body: text, now });
    const plain = await apps[0]!.fetch(new Request('http://sidecar.test/v1/frost/round1', { method: 'POST', headers: { ...h, 'content-type': 'text/plain' }, body: text }));
    expect(plain.status).toBe(415);
    expect(await plain.json()).toMatchObject({ code: 'UNSUPPORTED_MEDIA_TYPE' });
  });
});
