/**
 * workerd without a kernel key: the Worker still starts (ephemeral key) but says so loudly, in
 * its log and in `GET /healthz`, with how to set it (a Worker never sees the shell's variables).
 * KEE_OPERATOR_JWKS as a variable (operator tokens reaching the agent registry, audience checked)
 * is covered by the authenticated-agents run, test/runtime/worker-agents.test.ts.
 */
import { request } from 'node:http';
import { afterAll, describe, expect, it } from 'vitest';
import { startServer, type RunningServer } from './runtime/servers.ts';

describe('workerd configuration at start', () => {
  let server: RunningServer | undefined;
  afterAll(async () => {
    await server?.stop();
  });

  it('without KEE_SIGNING_KEY: a loud warning and a /healthz warning', async () => {
    server = await startServer('workerd', { vars: {}, env: { KEE_SIGNING_KEY: '42'.repeat(32) } });
    const health = (await (await fetch(`${server.base}/healthz`)).json()) as { state: string; warnings?: string[] };
    expect(health.state).toBe('NORMAL');
    expect(health.warnings).toEqual(expect.arrayContaining([expect.stringMatching(/^KEE_SIGNING_KEY is not set: this isolate signs with an ephemeral key, so the kernel identity and the checkpoint origin change at every restart \(a Worker does not see shell variables: set it in \.dev\.vars/)]));
    // logged once per isolate, however many requests (wrangler relays the isolate's log after the answer: polled)
    await fetch(`${server.base}/healthz`);
    await expect.poll(() => server!.output().match(/kee: WARNING: KEE_SIGNING_KEY is not set/g)?.length ?? 0, { timeout: 30_000, interval: 100 }).toBe(1);
  }, 180_000);

  it('KEE_AUTH=none: warned in the log and /healthz, declared in the Manifest, and refused for a request to a host that is not loopback', async () => {
    server ??= await startServer('workerd', { vars: { KEE_SIGNING_KEY: '42'.repeat(32), KEE_AUTH: 'none' } });
    const health = (await (await fetch(`${server.base}/healthz`)).json()) as { warnings?: string[] };
    expect(health.warnings).toEqual(expect.arrayContaining([expect.stringMatching(/^KEE_AUTH=none: agents are not authenticated/)]));
    expect(server.output()).toContain('kee: WARNING: KEE_AUTH=none');
    expect(((await (await fetch(`${server.base}/v1/manifest`)).json()) as { agent_authentication: string }).agent_authentication).toBe('none');
    const port = new URL(server.base).port;
    const offLoopback = await new Promise<{ status: number; body: string }>((resolve, reject) => {
      const req = request({ host: '127.0.0.1', port, path: '/healthz', headers: { host: `kee.example:${port}` } }, (res) => {
        let body = '';
        res.on('data', (d) => (body += String(d)));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
      });
      req.on('error', reject);
      req.end();
    });
    expect(offLoopback.status).toBe(403);
    expect(JSON.parse(offLoopback.body)).toMatchObject({ code: 'FORBIDDEN', detail: expect.stringContaining('KEE_AUTH=none is refused off loopback (host kee.example)') });
  }, 180_000);
});
