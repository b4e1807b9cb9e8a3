import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';
import { runConformance } from './runtime/conformance.ts';
import { startServer, type RunningServer } from './runtime/servers.ts';

const run = promisify(execFile);

/** KEE_POLICY_ENGINE on a started kernel (Node): cedar-wasm stays selectable, a typo stops the start. */
describe('KEE_POLICY_ENGINE at start', () => {
  let server: RunningServer | undefined;
  afterAll(async () => server?.stop());

  it('KEE_POLICY_ENGINE=cedar-wasm starts and passes the conformance suite', async () => {
    server = await startServer('node', { env: { KEE_POLICY_ENGINE: 'cedar-wasm' } });
    const { pkg } = await runConformance(server.base, 'node');
    expect(pkg.records.length).toBeGreaterThan(0);
  }, 120_000);

  it('an unknown engine stops the start with exit 2 and a message, no stack trace', async () => {
    const err = (await run('node_modules/.bin/tsx', ['src/entry/node.ts'], { env: { ...process.env, KEE_AUTH: 'none', KEE_POLICY_ENGINE: 'opa', PORT: '0', KEE_DATA_DIR: '/tmp/kee-never-used' } }).catch((e) => e)) as {
      code: number;
      stderr: string;
    };
    expect(err.code).toBe(2);
    expect(err.stderr).toContain('kee: KEE_POLICY_ENGINE must be one of kee-policy, cedar-wasm; got `opa`');
    expect(err.stderr).not.toMatch(/\bat \S+ \(/);
  }, 60_000);
});
