/**
 * workerd without a kernel key: the Worker still starts (ephemeral key) but says so loudly, in
 * its log and in `GET /healthz`, with how to set it (a Worker never sees the shell's variables).
 */
import { afterAll, describe, expect, it } from 'vitest';
import { startServer, type RunningServer } from './runtime/servers.ts';

describe('workerd configuration at start', () => {
  let server: RunningServer | undefined;
  afterAll(async () => server?.stop());

  it('without KEE_SIGNING_KEY: a loud warning and a /healthz warning', async () => {
    server = await startServer('workerd', { vars: {}, env: { KEE_SIGNING_KEY: '42'.repeat(32) } });
    const health = (await (await fetch(`${server.base}/healthz`)).json()) as { state: string; warnings?: string[] };
    expect(health.state).toBe('NORMAL');
    expect(health.warnings).toEqual(expect.arrayContaining([expect.stringMatching(/^KEE_SIGNING_KEY is not set: this isolate signs with an ephemeral key, so the kernel identity and the checkpoint origin change at every restart \(a Worker does not see shell variables: set it in \.dev\.vars/)]));
    // logged once per isolate, however many requests
    await fetch(`${server.base}/healthz`);
    expect(server.output().match(/kee: WARNING: KEE_SIGNING_KEY is not set/g)).toHaveLength(1);
  }, 180_000);
});
