/** The node:http Exchange for HttpParticipant: TCP and Unix socket, bytes and statuses passed through, failures reject. */
import { mkdtempSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort } from '../../test/support/free-port.ts';
import { nodeHttpExchange, unixExchange } from './unix-transport.ts';

const seen: { method?: string; url?: string; headers: Record<string, string | string[] | undefined>; body: string }[] = [];
const echo = () =>
  createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      seen.push({ method: req.method, url: req.url, headers: req.headers, body: Buffer.concat(chunks).toString() });
      if (req.url === '/refuse') {
        res.writeHead(409, { 'content-type': 'application/problem+json' }).end('{"code":"CONFLICT"}');
        return;
      }
      // a body in several writes, to check the answer is collected whole
      res.writeHead(200, { 'content-type': 'application/json' });
      res.write('{"echo":');
      res.end(`${JSON.stringify(Buffer.concat(chunks).toString())}}`);
    });
  });

describe('nodeHttpExchange', () => {
  const dir = mkdtempSync(join(tmpdir(), 'kee-exchange-'));
  const socket = join(dir, 's.sock');
  let tcp: Server;
  let unix: Server;
  let port = 0;
  beforeAll(async () => {
    port = await freePort();
    tcp = echo();
    unix = echo();
    await new Promise<void>((r) => tcp.listen(port, '127.0.0.1', r));
    await new Promise<void>((r) => unix.listen(socket, r));
  });
  afterAll(async () => {
    await new Promise((r) => tcp.close(r));
    await new Promise((r) => unix.close(r));
  });

  const cases = () => [
    ['TCP', nodeHttpExchange(), `http://127.0.0.1:${port}`],
    ['Unix socket', unixExchange(socket), 'http://localhost'],
  ] as const;

  it('sends method, path, headers and body, and returns the status and the whole body', async () => {
    for (const [name, exchange, base] of cases()) {
      seen.length = 0;
      const body = new TextEncoder().encode('{"session_id":"01"}');
      for (let i = 0; i < 3; i++) {
        const r = await exchange({ method: 'POST', url: `${base}/v1/frost/round1`, path: '/v1/frost/round1', headers: { 'content-type': 'application/json', 'kee-nonce': `n${i}` }, body });
        expect(r.status, name).toBe(200);
        expect(JSON.parse(new TextDecoder().decode(r.body)), name).toEqual({ echo: '{"session_id":"01"}' });
      }
      expect(seen.map((s) => [s.method, s.url, s.headers['kee-nonce'], s.headers['content-length'], s.body])).toEqual(
        [0, 1, 2].map((i) => ['POST', '/v1/frost/round1', `n${i}`, '19', '{"session_id":"01"}']),
      );
      const refused = await exchange({ method: 'POST', url: `${base}/refuse`, path: '/refuse', headers: {}, body: new Uint8Array(0) });
      expect(refused.status).toBe(409);
      expect(new TextDecoder().decode(refused.body)).toBe('{"code":"CONFLICT"}');
      const get = await exchange({ method: 'GET', url: `${base}/healthz`, path: '/healthz', headers: {} });
      expect(get.status).toBe(200);
      expect(seen.at(-1)).toMatchObject({ method: 'GET', url: '/healthz', body: '' });
    }
  });

  it('rejects when nothing listens', async () => {
    const closed = await freePort();
    await expect(nodeHttpExchange()({ method: 'GET', url: `http://127.0.0.1:${closed}/healthz`, path: '/healthz', headers: {} })).rejects.toThrow(/ECONNREFUSED/);
    await expect(unixExchange(join(dir, 'none.sock'))({ method: 'GET', url: 'http://localhost/healthz', path: '/healthz', headers: {} })).rejects.toThrow(/ENOENT/);
  });
});
