/**
 * An interleaved A/B of the Worker's cold start (`wrangler dev`, local D1) over a store holding a
 * revocation history: N events, each with a poll receiver that acknowledged its SET (3 SSF outbox
 * documents each), filled once by this checkout, copied for A (`--base <dir>`, as for ab.ts) and B
 * (this checkout); each side starts once first (B writes its outbox checkpoint there), then the
 * starts alternate. Prints a Markdown row (medians); writes nothing (docs/revocation.md "What
 * survives a restart"; figures go into the hand-written sections of RESULTS.md).
 * Run: `tsx bench/cold-start/outbox-ab.ts --base /tmp/base [--events 1000] [--runs 7]`.
 */
import { cpSync, mkdtempSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { exportJWK, generateKeyPair, SignJWT } from 'jose';
import { startServer } from '../../test/runtime/servers.ts';
import { coldStart, type Cold } from '../footprint/cold-start.ts';

const arg = (name: string) => {
  const i = process.argv.indexOf(name);
  return i > 0 ? process.argv[i + 1] : undefined;
};
const base = arg('--base');
if (!base) throw new Error('--base <checkout> is required');
const EVENTS = Number(arg('--events') ?? 1000);
const RUNS = Number(arg('--runs') ?? 7);
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

const { privateKey, publicKey } = await generateKeyPair('EdDSA', { extractable: true });
const jwks = JSON.stringify({ keys: [{ ...(await exportJWK(publicKey)), kid: 'op' }] });
const token = await new SignJWT({ roles: ['operator'] }).setProtectedHeader({ alg: 'EdDSA', kid: 'op' }).setSubject('op').setAudience('kee').setExpirationTime('1h').sign(privateKey);
const filled = mkdtempSync(join(tmpdir(), 'kee-outbox-ab-'));
// the bench's kernel and token keys (bench/footprint/cold-start.ts), and an operator to revoke with
const worker = await startServer('workerd', { dataDir: filled, vars: { KEE_SIGNING_KEY: '42'.repeat(32), KEE_TOKEN_KEY: '43'.repeat(32), KEE_OPERATOR_JWKS: jwks, KEE_OPERATOR_AUDIENCE: 'kee' } });
const call = async (path: string, body: unknown) => (await (await fetch(`${worker.base}${path}`, { method: 'POST', headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' }, body: JSON.stringify(body) })).json()) as Record<string, unknown>;
const stream = (await call('/ssf/streams', { delivery: { method: 'urn:ietf:rfc:8936' } })).stream_id as string;
for (let i = 0; i < EVENTS; i++) {
  await call('/v1/revocations', { kind: 'KIA_KEY', id: `k-${i}` });
  const sets = (await call(`/ssf/poll/${stream}`, { returnImmediately: true })).sets as Record<string, string>;
  await call(`/ssf/poll/${stream}`, { ack: Object.keys(sets), returnImmediately: true });
}
await worker.stop();

const sides = [resolve(base), resolve('.')];
const dirs = sides.map((_, i) => {
  const d = mkdtempSync(join(tmpdir(), `kee-outbox-ab-${'AB'[i]}-`));
  cpSync(filled, d, { recursive: true });
  return d;
});
const got: Cold[][] = [[], []];
const loads: number[] = [];
try {
  for (let i = 0; i < 2; i++) await coldStart('workerd', { cwd: sides[i]!, dataDir: dirs[i]! });
  for (let round = 0; round < RUNS; round++) {
    for (const i of round % 2 === 0 ? [0, 1] : [1, 0]) {
      loads.push(loadavg()[0]!);
      got[i]!.push(await coldStart('workerd', { cwd: sides[i]!, dataDir: dirs[i]! }));
    }
    console.log(`round ${round + 1}/${RUNS} (load ${loadavg()[0]!.toFixed(2)})`);
  }
} finally {
  for (const d of [filled, ...dirs]) rmSync(d, { recursive: true, force: true });
}
const pair = (f: (c: Cold) => number | undefined) => got.map((runs) => median(runs.map((c) => f(c) ?? NaN)).toFixed(0)).join(' → ');
console.log(`\nA = ${sides[0]}, B = ${sides[1]}, ${EVENTS} settled revocation events, ${RUNS} starts each, medians\n`);
console.log('| runner | store | up → authorize ms, A → B | CPU ms | kernel start ms | startup total ms | load |');
console.log('| --- | --- | ---: | ---: | ---: | ---: | --- |');
console.log(`| workerd | ${EVENTS} settled events | ${pair((c) => c.fromUp)} | ${pair((c) => c.cpuFromUp)} | ${pair((c) => c.steps['kernel start'])} | ${pair((c) => c.steps.total)} | ${Math.min(...loads).toFixed(1)}-${Math.max(...loads).toFixed(1)} |`);
