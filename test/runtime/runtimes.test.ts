import { execFile } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';
import { checkDecisionPoint, checkManifest, manifestLock, runConformance } from './conformance.ts';
import { startServer, type RunningServer, type RuntimeName } from './servers.ts';

const run = promisify(execFile);
const tmp = mkdtempSync(join(tmpdir(), 'kee-pkg-'));

async function kee(...args: string[]): Promise<{ code: number; out: string }> {
  try {
    const r = await run('node', ['bin/kee.mjs', ...args]);
    return { code: 0, out: r.stdout + r.stderr };
  } catch (e) {
    const err = e as { code: number; stdout: string; stderr: string };
    return { code: err.code, out: err.stdout + err.stderr };
  }
}

const runtimes: RuntimeName[] = ['node', 'bun', 'deno', 'workerd', 'workerd-cedar'];

describe.each(runtimes)('the same kernel on %s', (runtime) => {
  let server: RunningServer | undefined;
  afterAll(async () => server?.stop());

  // the runtime is in the test's own name, so a failure (or a reporter that drops the describe) says which one
  it(`${runtime}: serves session -> authorize -> close -> package, and the package verifies offline`, async ({ task }) => {
    expect(task.name.startsWith(`${runtime}: `)).toBe(true);
    server = await startServer(runtime);
    const { blockId, pkg } = await runConformance(server.base, runtime);
    await checkDecisionPoint(server.base);
    const file = join(tmp, `${runtime}-${blockId}.json`);
    writeFileSync(file, JSON.stringify(pkg));
    const ok = await kee('audit', 'verify', file);
    expect(ok.out).toContain('OK block');
    expect(ok.code).toBe(0);

    pkg.records[1].record.decision = 'DENY';
    const bad = join(tmp, `${runtime}-tampered.json`);
    writeFileSync(bad, JSON.stringify(pkg));
    const fail = await kee('audit', 'verify', bad);
    expect(fail.code).toBe(1);
    expect(fail.out).toContain('record 1 (ale_seq 2)');

    // a restart on the same data verifies the stored manifest and issues the next epoch
    const before = await checkManifest(server.base, runtime);
    await server.stop();
    server = await startServer(runtime, { dataDir: server.dataDir });
    const after = await checkManifest(server.base, runtime, before.cedar_policy_hash);
    expect(after.epoch).toBe(before.epoch + 1);
    expect(after.previous_manifest_hash).toBe(manifestLock(before));
    expect(after.manifest_id).not.toBe(before.manifest_id);
  }, 240_000);
});
