import { createServer, type RequestListener, type Server } from 'node:http';
import { connect, type AddressInfo } from 'node:net';
import { getRequestListener } from '@hono/node-server';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { agentRead, makeHarness, type Harness } from '../../test/support/harness.ts';
import { agentKeyPair, assertion, dpopHeaders } from '../../test/support/agent-auth.ts';
import { makeOperators } from '../../test/support/operators.ts';
import { authorizeListener } from './authorize-listener.ts';

/**
 * The Node entry's authorize listener against the Hono route it stands in for: one kernel behind
 * two real `node:http` servers, one as the entry serves it (`authorizeListener` in front of the
 * adapter) and one with the adapter alone. Every request goes to both as the same bytes over a
 * raw socket, and the answers are compared as bytes: status line, every header (name, case,
 * order; `Date` left out) and body. A PERMIT or DENY body carries its own ids and times, so for
 * those the JSON's shape and its decision are compared, and the spans each recorded.
 */
type Pair = { h: Harness; fast: number; hono: number; handedOn: { n: number }; close: () => Promise<void> };

async function listen(listener: RequestListener): Promise<{ server: Server; port: number }> {
  const server = createServer({}, listener);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { server, port: (server.address() as AddressInfo).port };
}

async function pair(h: Harness): Promise<Pair> {
  await h.started;
  const hono = getRequestListener(h.app.fetch, { hostname: '127.0.0.1' });
  const handedOn = { n: 0 };
  const a = await listen(authorizeListener(h.kernel, (req, res) => (handedOn.n++, hono(req, res)), '127.0.0.1'));
  const b = await listen(hono);
  const close = async () => {
    for (const s of [a.server, b.server]) {
      s.closeAllConnections();
      await new Promise<void>((resolve) => s.close(() => resolve()));
    }
  };
  return { h, fast: a.port, hono: b.port, handedOn, close };
}

type Raw = { status: string; head: string[]; body: string };

/** One request as raw bytes (`{port}` in `head` becomes the server's port, and the port in the answer's body `{port}`), `Connection: close`; the answer split into status line, header lines (no `Date`) and body. */
function raw(port: number, head: string, body: Buffer | string = ''): Promise<Raw> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1');
    const chunks: Buffer[] = [];
    socket.on('data', (d: Buffer) => chunks.push(d));
    socket.on('error', reject);
    socket.on('close', () => {
      const text = Buffer.concat(chunks).toString('latin1');
      const at = text.indexOf('\r\n\r\n');
      const [status, ...head] = text.slice(0, at).split('\r\n');
      resolve({ status: status as string, head: head.filter((l) => !/^date:/i.test(l)), body: text.slice(at + 4).replaceAll(`:${port}/`, ':{port}/') });
    });
    socket.write(head.replaceAll('{port}', String(port)).replaceAll('\n', '\r\n') + '\r\n\r\n');
    socket.write(body); // no half-close: Node's server drops a request whose client has ended its side
  });
}

function post(path: string, body: string | Buffer, headers: string[] = ['Content-Type: application/json']): [string, Buffer | string] {
  const length = typeof body === 'string' ? Buffer.byteLength(body) : body.length;
  return [[`POST ${path} HTTP/1.1`, 'Host: 127.0.0.1:{port}', 'Connection: close', ...headers, `Content-Length: ${length}`].join('\n'), body];
}

/** Both servers' answers to the same request, and the spans each recorded. */
async function both(p: Pair, request: (port: number) => Promise<[string, Buffer | string]> | [string, Buffer | string]) {
  p.h.spans.reset();
  const before = p.handedOn.n;
  const fast = await raw(p.fast, ...(await request(p.fast)));
  const handedOn = p.handedOn.n > before;
  const fastSpans = p.h.spans.getFinishedSpans().map((s) => s.name);
  p.h.spans.reset();
  const hono = await raw(p.hono, ...(await request(p.hono)));
  const honoSpans = p.h.spans.getFinishedSpans().map((s) => s.name);
  return { fast, hono, fastSpans, honoSpans, handedOn };
}

/** Refusals as bytes; a 200 (PERMIT or DENY, with its own ids, times and credential) as its status, headers but the length, decision and JSON shape. */
function comparable(r: Raw) {
  if (!r.status.startsWith('HTTP/1.1 200')) return r;
  const body = JSON.parse(r.body) as { decision?: string };
  return { status: r.status, head: r.head.map((l) => l.replace(/^Content-Length: \d+$/, 'Content-Length: …')), decision: body.decision, shape: shape(body) };
}

/** The JSON's shape: every key path and the type of its value. */
function shape(v: unknown, at = ''): string[] {
  if (Array.isArray(v)) return [`${at}:array`, ...v.flatMap((x, i) => shape(x, `${at}[${i}]`))];
  if (v !== null && typeof v === 'object') return [`${at}:object`, ...Object.entries(v).flatMap(([k, x]) => shape(x, `${at}.${k}`))];
  return [`${at}:${typeof v}`];
}

const GOOD = JSON.stringify(agentRead());
const DENIED = JSON.stringify({ ...agentRead(), action: { type: 'Action', id: 'delete_everything' } });

describe('the Node authorize listener answers as the Hono route does (KEE_AUTH=none)', () => {
  let p: Pair;
  let open: string;
  let closed: string;
  beforeAll(async () => {
    p = await pair(makeHarness());
    open = (await p.h.call('POST', '/v1/sessions', { agent_id: 'agent-1' })).json.session_id;
    closed = (await p.h.call('POST', '/v1/sessions', { agent_id: 'agent-1' })).json.session_id;
    expect((await p.h.call('POST', `/v1/sessions/${closed}/close`)).status).toBe(200);
  });
  afterAll(() => p.close());

  const path = (id: string) => `/v1/sessions/${id}/authorize`;

  it('a PERMIT and a DENY: same status, headers (but the length), body shape, decision and spans', async () => {
    for (const [body, decision] of [[GOOD, 'PERMIT'], [DENIED, 'DENY']] as const) {
      const r = await both(p, () => post(path(open), body));
      expect(r.fast.status).toBe('HTTP/1.1 200 OK');
      expect(r.handedOn).toBe(false);
      expect(r.fast.status).toBe(r.hono.status);
      const noLength = (head: string[]) => head.filter((l) => !l.startsWith('Content-Length:'));
      expect(noLength(r.fast.head)).toEqual(noLength(r.hono.head));
      expect(r.fast.head.findIndex((l) => l.startsWith('Content-Length:'))).toBe(r.hono.head.findIndex((l) => l.startsWith('Content-Length:')));
      const [fast, hono] = [JSON.parse(r.fast.body), JSON.parse(r.hono.body)];
      expect(fast.decision).toBe(decision);
      expect(hono.decision).toBe(decision);
      expect(shape(fast)).toEqual(shape(hono));
      expect(fast.reason ?? null).toEqual(hono.reason ?? null);
      expect(r.fastSpans.length).toBeGreaterThan(0);
      expect(r.fastSpans).toEqual(r.honoSpans);
    }
  });

  const unknown = '0b9f6d3e-5f1a-4c2e-9d7b-1a2b3c4d5e6f';
  const cases: [string, (s: { open: string; closed: string }) => [string, Buffer | string]][] = [
    ['malformed JSON', (s) => post(path(s.open), '{"principal":')],
    ['a duplicate key', (s) => post(path(s.open), '{"principal":{"type":"Agent","id":"a"},"principal":{"type":"Agent","id":"b"}}')],
    ['a body that does not match the schema', (s) => post(path(s.open), JSON.stringify({ ...agentRead(), extra: 1 }))],
    ['an unsafe number', (s) => post(path(s.open), JSON.stringify({ ...agentRead(), context: {} }).replace('"context":{}', '"context":{"n":12345678901234567890}'))],
    ['invalid UTF-8', (s) => post(path(s.open), Buffer.concat([Buffer.from('{"principal":"'), Buffer.from([0xff]), Buffer.from('"}')]))],
    ['an empty body', (s) => post(path(s.open), '')],
    ['a declared length past 64 KiB', (s) => post(path(s.open), Buffer.alloc(70 * 1024, 0x20))],
    ['a chunked body past 64 KiB', (s) => [[`POST ${path(s.open)} HTTP/1.1`, 'Host: 127.0.0.1:{port}', 'Connection: close', 'Content-Type: application/json', 'Transfer-Encoding: chunked'].join('\n'), `${(80 * 1024).toString(16)}\r\n${' '.repeat(80 * 1024)}\r\n0\r\n\r\n`]],
    ['a wrong content type', (s) => post(path(s.open), GOOD, ['Content-Type: text/plain'])],
    ['no content type', (s) => post(path(s.open), GOOD, [])],
    ['two content types', (s) => post(path(s.open), GOOD, ['Content-Type: application/json', 'Content-Type: text/plain'])],
    ['a +json content type with parameters', (s) => post(path(s.open), GOOD, ['Content-Type: application/vnd.kee+json; charset=utf-8'])],
    ['an unknown session', () => post(path(unknown), GOOD)],
    ['a closed session', (s) => post(path(s.closed), GOOD)],
    ['a session id that is not a UUID', () => post(path('not-a-session'), GOOD)],
    ['an upper-case session id', (s) => post(path(s.open.toUpperCase()), GOOD)],
    ['a query string', (s) => post(`${path(s.open)}?x=1`, GOOD)],
    ['a trailing slash', (s) => post(`${path(s.open)}/`, GOOD)],
    ['a Host the adapter refuses', (s) => { const [head, body] = post(path(s.open), GOOD); return [head.replace('Host: 127.0.0.1:{port}', 'Host: evil.test/x'), body]; }],
    ['an upper-case Host (the adapter refuses it)', (s) => { const [head, body] = post(path(s.open), GOOD); return [head.replace('Host: 127.0.0.1:{port}', 'Host: KEE.TEST:80'), body]; }],
    ['a Host with the default port', (s) => { const [head, body] = post(path(s.open), GOOD); return [head.replace('Host: 127.0.0.1:{port}', 'Host: kee.test:80'), body]; }],
    ['no Host', (s) => { const [head, body] = post(path(s.open), GOOD); return [head.replace('Host: 127.0.0.1:{port}\n', ''), body]; }],
    ['GET on the route', (s) => [[`GET ${path(s.open)} HTTP/1.1`, 'Host: 127.0.0.1:{port}', 'Connection: close'].join('\n'), '']],
    ['credentials sent while KEE_AUTH=none', (s) => post(path(s.open), GOOD, ['Content-Type: application/json', 'Authorization: DPoP abc', 'DPoP: x.y.z'])],
  ];

  /** Taken to the Hono app as they are: the adapter's own answer (its 400 for a Host it refuses) or another route. */
  const handed = ['a session id that is not a UUID', 'an upper-case session id', 'a query string', 'a trailing slash', 'a Host the adapter refuses', 'an upper-case Host (the adapter refuses it)', 'GET on the route'];

  it.each(cases)('%s: the same bytes', async (name, request) => {
    const r = await both(p, () => request({ open, closed }));
    expect(r.handedOn).toBe(handed.includes(name));
    expect(comparable(r.fast)).toEqual(comparable(r.hono));
    expect(r.fastSpans).toEqual(r.honoSpans);
  });

  it('the refusals are problem+json with the route\'s codes', async () => {
    const codes: Record<string, string> = {};
    for (const [name, request] of cases) {
      const r = await raw(p.fast, ...request({ open, closed }));
      codes[name] = r.body.startsWith('{') ? JSON.parse(r.body).code ?? JSON.parse(r.body).decision : r.status;
    }
    expect(codes).toMatchObject({
      'malformed JSON': 'MALFORMED_JSON',
      'a duplicate key': 'MALFORMED_JSON',
      'a body that does not match the schema': 'INVALID_INPUT',
      'an unsafe number': 'INVALID_INPUT',
      'invalid UTF-8': 'MALFORMED_JSON',
      'a declared length past 64 KiB': 'PAYLOAD_TOO_LARGE',
      'a chunked body past 64 KiB': 'PAYLOAD_TOO_LARGE',
      'a wrong content type': 'UNSUPPORTED_MEDIA_TYPE',
      'no content type': 'UNSUPPORTED_MEDIA_TYPE',
      'an unknown session': 'SESSION_NOT_FOUND',
      'a closed session': 'SESSION_CLOSED',
      'a Host the adapter refuses': 'HTTP/1.1 400 Bad Request',
      'an upper-case Host (the adapter refuses it)': 'HTTP/1.1 400 Bad Request',
      'a Host with the default port': 'PERMIT',
    });
  });
});

describe('the Node authorize listener answers as the Hono route does (KEE_AUTH=agents)', () => {
  let p: Pair;
  let s: { id: string; token: string; key: Awaited<ReturnType<typeof agentKeyPair>> };
  beforeAll(async () => {
    const ops = await makeOperators();
    p = await pair(makeHarness({ deps: { operatorTokens: ops.verifier, options: { auth: 'agents' } } }));
    const key = await agentKeyPair();
    expect((await p.h.call('POST', '/v1/agents', { agent_id: 'a1', public_keys: [key.jwk] }, await ops.bearer('operator'))).status).toBe(201);
    const r = await p.h.call('POST', '/v1/sessions', { agent_id: 'a1', client_assertion: await assertion(key, 'a1', p.h.kernel.issuer) });
    expect(r.status, r.text).toBe(201);
    s = { id: r.json.session_id, token: r.json.session_token, key };
  });
  afterAll(() => p.close());

  const path = () => `/v1/sessions/${s.id}/authorize`;
  const GOOD = JSON.stringify(agentRead('a1'));
  const signed = async (port: number, body: string, claims: Record<string, unknown> = {}) => {
    const d = await dpopHeaders(s.key, 'POST', `http://127.0.0.1:${port}${path()}`, s.token, claims);
    return post(path(), body, ['Content-Type: application/json', `Authorization: ${d.authorization}`, `DPoP: ${d.dpop}`]);
  };

  it('an authenticated PERMIT: same status, headers (but the length), body shape and spans', async () => {
    const r = await both(p, (port) => signed(port, GOOD));
    expect(r.fast.status).toBe('HTTP/1.1 200 OK');
    expect(r.handedOn).toBe(false);
    expect(r.fast.status).toBe(r.hono.status);
    expect(r.fast.head.filter((l) => !l.startsWith('Content-Length:'))).toEqual(r.hono.head.filter((l) => !l.startsWith('Content-Length:')));
    expect(JSON.parse(r.fast.body).decision).toBe('PERMIT');
    expect(shape(JSON.parse(r.fast.body))).toEqual(shape(JSON.parse(r.hono.body)));
    expect(r.fastSpans).toEqual(r.honoSpans);
  });

  const cases: [string, (port: number) => Promise<[string, Buffer | string]> | [string, Buffer | string]][] = [
    ['no credentials', () => post(path(), GOOD)],
    ['a token without a proof', () => post(path(), GOOD, ['Content-Type: application/json', `Authorization: DPoP ${s.token}`])],
    ['a bearer token', () => post(path(), GOOD, ['Content-Type: application/json', `Authorization: Bearer ${s.token}`])],
    ['two Authorization headers', async (port) => {
      const [head, body] = await signed(port, GOOD);
      return [head.replace('Authorization:', `Authorization: DPoP ${s.token}\nAuthorization:`), body];
    }],
    ['a proof for another URL', async () => signed(1, GOOD)],
    ['a proof for another method', async (port) => {
      const d = await dpopHeaders(s.key, 'GET', `http://127.0.0.1:${port}${path()}`, s.token);
      return post(path(), GOOD, ['Content-Type: application/json', `Authorization: ${d.authorization}`, `DPoP: ${d.dpop}`]);
    }],
    ['authenticated, malformed JSON', (port) => signed(port, '{')],
    ['authenticated, a wrong content type', async (port) => {
      const [head, body] = await signed(port, GOOD);
      return [head.replace('Content-Type: application/json', 'Content-Type: text/plain'), body];
    }],
    ['unauthenticated and malformed', () => post(path(), '{')],
  ];

  it.each(cases)('%s: the same bytes', async (_name, request) => {
    const r = await both(p, request);
    expect(r.handedOn).toBe(false);
    expect(r.fast).toEqual(r.hono);
    expect(r.fastSpans).toEqual(r.honoSpans);
    expect(r.fast.status).not.toMatch(/^HTTP\/1\.1 200/);
  });
});
