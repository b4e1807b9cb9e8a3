import { connect, type AddressInfo } from 'node:net';
import { createAdaptorServer } from '@hono/node-server';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bunIdleTimeoutSeconds, DEFAULT_REQUEST_TIMEOUT_MS, nodeServerOptions, requestTimeoutMs } from '../src/entry/http-timeouts.ts';
import { makeHarness } from './support/harness.ts';

describe('KEE_HTTP_REQUEST_TIMEOUT_MS', () => {
  it('defaults to 15 s and takes whole milliseconds from 100 to 600000', () => {
    expect(requestTimeoutMs(undefined)).toBe(DEFAULT_REQUEST_TIMEOUT_MS);
    expect(requestTimeoutMs('')).toBe(DEFAULT_REQUEST_TIMEOUT_MS);
    expect(requestTimeoutMs('100')).toBe(100);
    expect(requestTimeoutMs('600000')).toBe(600_000);
  });

  it.each(['abc', '0', '99', '600001', '1e4', '-5', '15000ms', ' 15000', '1.5'])('refuses `%s` with one line naming the variable', (v) => {
    expect(() => requestTimeoutMs(v)).toThrow(/^KEE_HTTP_REQUEST_TIMEOUT_MS must be a whole number of milliseconds from 100 to 600000, got `.*`$/);
  });

  it('maps to Node server options and a Bun idle timeout', () => {
    expect(nodeServerOptions(15_000)).toEqual({ requestTimeout: 15_000, headersTimeout: 15_000, keepAliveTimeout: 5_000, connectionsCheckingInterval: 1_000 });
    expect(bunIdleTimeoutSeconds(15_000)).toBe(15);
    expect(bunIdleTimeoutSeconds(100)).toBe(1);
    expect(bunIdleTimeoutSeconds(600_000)).toBe(255);
  });
});

/** The kernel's app behind a real Node server built with the Node entry's options, timeout 300 ms. */
const h = makeHarness();
const server = createAdaptorServer({ fetch: h.app.fetch, serverOptions: nodeServerOptions(300) });
let port = 0;
beforeAll(async () => {
  await h.started;
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  port = (server.address() as AddressInfo).port;
});
afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

/**
 * Sends `head` at once, then `trickle` one byte every 100 ms, until the server answers or closes.
 * Resolves with what the server sent and how many trickled bytes had gone out by then.
 */
function trickle(head: string, trickle: string): Promise<{ sent: number; reply: string }> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1');
    let reply = '';
    let sent = 0;
    let timer: ReturnType<typeof setInterval> | undefined;
    const done = () => {
      clearInterval(timer);
      socket.destroy();
      resolve({ sent, reply });
    };
    socket.setEncoding('utf8');
    socket.on('data', (d: string) => (reply += d));
    socket.on('end', done);
    socket.on('close', done);
    socket.on('error', (e) => (reply === '' && sent === 0 ? reject(e) : done()));
    socket.write(head);
    timer = setInterval(() => {
      if (sent < trickle.length) socket.write(trickle[sent++] as string);
    }, 100);
  });
}

describe('slow clients are cut off by the request timeout (Node)', () => {
  const body = JSON.stringify({ agent_id: 'a'.repeat(40) });

  it('a client that sends its headers, then trickles the body, gets 408 and a closed connection before it is done', async () => {
    const r = await trickle(`POST /v1/sessions HTTP/1.1\r\nhost: kee.test\r\ncontent-type: application/json\r\ncontent-length: ${body.length}\r\n\r\n`, body);
    expect(r.reply).toMatch(/^HTTP\/1\.1 408 /);
    expect(r.sent).toBeLessThan(body.length);
  });

  it('a client that trickles its headers is cut off too', async () => {
    const headers = `host: kee.test\r\ncontent-type: application/json\r\nx-pad: ${'p'.repeat(40)}\r\n\r\n`;
    const r = await trickle('POST /v1/sessions HTTP/1.1\r\n', headers);
    expect(r.reply).toMatch(/^(HTTP\/1\.1 408 |$)/);
    expect(r.sent).toBeLessThan(headers.length);
  });
});
