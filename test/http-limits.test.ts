import { request } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createAdaptorServer } from '@hono/node-server';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeHarness } from './support/harness.ts';

/**
 * Black-box: the kernel's app behind a real Node HTTP server (`@hono/node-server`, as the Node
 * entry serves it), driven over a socket.
 */
const h = makeHarness();
const server = createAdaptorServer({ fetch: h.app.fetch });
let port = 0;

beforeAll(async () => {
  await h.started;
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  port = (server.address() as AddressInfo).port;
});
afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

/**
 * POSTs a chunked body (no Content-Length) of up to `total` bytes, 16 KiB at a time, and stops
 * writing as soon as the response head arrives. Resolves with the status and how many bytes the
 * client had written by then.
 */
function chunkedPost(path: string, total: number): Promise<{ status: number; written: number; body: string }> {
  return new Promise((resolve, reject) => {
    let written = 0;
    let answered = false;
    const req = request({ host: '127.0.0.1', port, path, method: 'POST', headers: { 'content-type': 'application/json', 'transfer-encoding': 'chunked' } }, (res) => {
      answered = true;
      const at = written;
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (d: string) => (body += d));
      res.on('end', () => {
        req.destroy();
        resolve({ status: res.statusCode ?? 0, written: at, body });
      });
    });
    req.on('error', (e) => (answered ? undefined : reject(e)));
    const chunk = Buffer.alloc(16 * 1024, 0x20); // JSON whitespace: valid until the body ends
    req.write('{"agent_id":"a"');
    const pump = () => {
      while (!answered && written < total) {
        written += chunk.length;
        if (!req.write(chunk)) return void req.once('drain', pump);
      }
      if (!answered) req.end('}');
    };
    pump();
  });
}

describe('request bodies over a real Node server', () => {
  it('a chunked body with no Content-Length is refused with 413 once it passes 64 KiB, before the client has sent it all', async () => {
    const r = await chunkedPost('/v1/sessions', 256 * 1024 * 1024);
    expect(r.status).toBe(413);
    expect(JSON.parse(r.body).code).toBe('PAYLOAD_TOO_LARGE');
    // the kernel answered while the client was still sending: it did not wait for 256 MiB
    expect(r.written).toBeLessThan(32 * 1024 * 1024);
  });

  it('a chunked body within the limit is read whole', async () => {
    const r = await chunkedPost('/v1/sessions', 32 * 1024);
    expect(r.status).toBe(201);
  });
});

/** One raw request over a socket: status, headers (minus `date`) and body bytes. */
function rawPost(path: string, body: Buffer, headers: Record<string, string>): Promise<{ status: number; headers: Record<string, string>; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path, method: 'POST', headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (d: Buffer) => chunks.push(d));
      res.on('end', () => {
        const { date: _date, connection: _c, 'keep-alive': _k, 'content-length': _l, 'transfer-encoding': _t, ...rest } = res.headers as Record<string, string>;
        resolve({ status: res.statusCode ?? 0, headers: rest, body: Buffer.concat(chunks).toString('latin1') });
      });
    });
    req.on('error', reject);
    req.end(body);
  });
}

describe('the Node body path (read from the IncomingMessage) answers as the Web Request path does', () => {
  // the same request through the real server (body read from Node's stream) and through
  // `app.request` (a Web Request, as on Bun, Deno and workerd): same status, headers and bytes
  const cases: [string, string | Buffer, Record<string, string>][] = [
    ['malformed JSON', '{"agent_id":', {}],
    ['a duplicate key', '{"agent_id":"a","agent_id":"b"}', {}],
    ['invalid UTF-8', Buffer.from([0x7b, 0x22, 0xff, 0x22, 0x3a, 0x31, 0x7d]), {}],
    ['a schema mismatch', '{"agent_id":7}', {}],
    ['an unsafe number', '{"agent_id":"a","n":9007199254740993}', {}],
    ['an empty body', '', {}],
    ['a wrong content type', '{"agent_id":"a"}', { 'content-type': 'text/plain' }],
    ['a body past the limit', `{"agent_id":"${'x'.repeat(70 * 1024)}"}`, {}],
  ];
  it.each(cases)('%s', async (_name, text, extra) => {
    const body = Buffer.from(text);
    const headers = { 'content-type': 'application/json', 'content-length': String(body.length), ...extra };
    const path = '/v1/sessions/00000000000000000000000000000000/authorize';
    for (const p of ['/v1/sessions', path]) {
      const viaNode = await rawPost(p, body, headers);
      const viaWeb = await h.app.request(`http://127.0.0.1:${port}${p}`, { method: 'POST', headers, body });
      const webHeaders: Record<string, string> = {};
      viaWeb.headers.forEach((v, k) => (k === 'content-length' ? undefined : (webHeaders[k] = v)));
      expect(viaNode.status).toBe(viaWeb.status);
      expect(viaNode.headers).toEqual(webHeaders);
      expect(viaNode.body).toBe(Buffer.from(await viaWeb.arrayBuffer()).toString('latin1'));
    }
  });

  it('a decision: the same status and answer fields either way', async () => {
    const open = await rawPost('/v1/sessions', Buffer.from('{"agent_id":"master-ai"}'), { 'content-type': 'application/json' });
    const id = (JSON.parse(open.body) as { session_id: string }).session_id;
    const body = Buffer.from(JSON.stringify({ principal: { type: 'Agent', id: 'master-ai' }, action: { type: 'Action', id: 'read' }, resource: { type: 'Dataset', id: 'd' }, context: {} }));
    const headers = { 'content-type': 'application/json', 'content-length': String(body.length) };
    const viaNode = await rawPost(`/v1/sessions/${id}/authorize`, body, headers);
    const viaWeb = await h.app.request(`http://127.0.0.1:${port}/v1/sessions/${id}/authorize`, { method: 'POST', headers, body });
    expect(viaNode.status).toBe(200);
    expect(viaWeb.status).toBe(200);
    const a = JSON.parse(viaNode.body) as Record<string, unknown>;
    const b = (await viaWeb.json()) as Record<string, unknown>;
    expect(Object.keys(a).sort()).toEqual(Object.keys(b).sort());
    expect(a.decision).toBe(b.decision);
  });
});
