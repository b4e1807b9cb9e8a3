/**
 * A verify loop to profile `kee/verifier` (docs/benchmarks.md): one credential checked back to
 * back for `--seconds` (default 5). `node --cpu-prof --import tsx bench/credentials/verify-loop.ts`.
 */
import type { AuthorizationRequest } from '../../src/kernel/types.ts';
import { createCredentialVerifier } from '../../src/verifier/index.ts';
import { makeHarness } from '../../test/support/harness.ts';

const secArg = process.argv.indexOf('--seconds');
const SECONDS = secArg > 0 ? Number(process.argv[secArg + 1]) : 5;
const h = makeHarness();
await h.started;
const app = h.app;
const read: AuthorizationRequest = { principal: { type: 'Agent', id: 'a' }, action: { type: 'Action', id: 'read' }, resource: { type: 'Dataset', id: 'd' }, context: { ticket: 7 }, audience: 'https://files.example' };
const token = (await h.kernel.authorize((await h.kernel.openSession('agent-v')).session_id, read)).credential as string;
const verifier = createCredentialVerifier({ kernelUrl: 'http://kee.bench', issuer: h.kernel.issuer, audience: 'https://files.example', fetch: ((u: RequestInfo | URL, i?: RequestInit) => app.request(String(u), i)) as typeof fetch });
const intent = { principal: read.principal, action: read.action, resource: read.resource, context: read.context };
let n = 0;
const t0 = performance.now();
while (performance.now() - t0 < SECONDS * 1000) {
  const v = await verifier.verify(token, intent);
  if (!v.ok) throw new Error(v.reason);
  n++;
}
const ms = performance.now() - t0;
console.log(`${n} verifications, ${((ms * 1000) / n).toFixed(1)} µs each`);
process.exit(0);
