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
