/**
 * bench/revocation: how long a revocation takes to bite elsewhere. Two kernels on loopback
 * (in-process, each served by @hono/node-server on a real port: test/support/federation.ts), A
 * transmitting over SSF and B receiving, plus a resource provider's `kee/verifier` polling A's
 * feed over HTTP. Per event: an agent registered at A holds a credential for the provider; the
 * clock starts before `POST /v1/revocations` (its XPID) at A and stops at the first DENY of a
 * fresh session of the agent at B, and at the first `REVOKED` from the verifier (both checked
 * back to back, about every millisecond). Push (RFC 8935) and poll (RFC 8936) streams.
 * Run: `npm run bench:revocation [-- --events 30]`. Writes bench/revocation/RESULTS.md.
 */
import '../../src/entry/node-v8-flags.ts';
import { writeFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { createCredentialVerifier } from '../../src/verifier/index.ts';
import { freePort } from '../../test/support/free-port.ts';
import { startNode, transmitterConfig, type Node } from '../../test/support/federation.ts';
import { agentRead } from '../../test/support/harness.ts';
import { agentKey, makeOperators } from '../../test/support/operators.ts';

const arg = (name: string, fallback: number) => {
  const i = process.argv.indexOf(name);
  return i > 0 ? Number(process.argv[i + 1]) : fallback;
};
const EVENTS = arg('--events', 30);
const POLL_MS = arg('--poll-ms', 500);
const VERIFIER_POLL_S = arg('--verifier-poll-s', 1);
const AUD = 'https://files.example';

type Row = { mode: string; peer: number[]; provider: number[] };

async function run(delivery: 'push' | 'poll'): Promise<Row> {
  const ops = await makeOperators();
  const op = await ops.bearer('operator');
  const a = await startNode(ops, { revocation: { tickMs: 100 } });
  const port = await freePort();
  const config = await transmitterConfig(ops, a.url, delivery, `http://127.0.0.1:${port}`);
  const b = await startNode(ops, { port, transmitters: () => [config], revocation: { tickMs: 100, pollMs: POLL_MS } });
  await b.tick();
  const verifier = createCredentialVerifier({ kernelUrl: a.url, issuer: a.h.kernel.issuer, audience: AUD, pollSeconds: VERIFIER_POLL_S, jwksCooldownSeconds: 0 });
  const peer: number[] = [];
  const provider: number[] = [];
  for (let i = 0; i < EVENTS; i++) {
    const agent = `${delivery}-agent-${i}`;
    const reg = await a.h.call('POST', '/v1/agents', { agent_id: agent, public_keys: [await agentKey()] }, op);
    const s = await a.h.call('POST', '/v1/sessions', { agent_id: agent });
    const request = agentRead(agent);
    const d = await a.h.call('POST', `/v1/sessions/${s.json.session_id}/authorize`, { ...request, audience: AUD });
    if (!(await verifier.verify(d.json.credential, request)).ok) throw new Error('the fresh credential does not verify');
    if ((await b.decide(agent)).decision !== 'PERMIT') throw new Error('B refuses before the revocation');
    const t0 = performance.now();
    const post = a.h.call('POST', '/v1/revocations', { kind: 'XPID', id: reg.json.xpid, reason: 'bench' }, op);
    let tPeer = 0;
    let tProvider = 0;
    while (tPeer === 0 || tProvider === 0) {
      if (tPeer === 0 && (await b.decide(agent)).decision === 'DENY') tPeer = performance.now() - t0;
      if (tProvider === 0) {
        const v = await verifier.verify(d.json.credential, request);
        if (!v.ok && v.code === 'REVOKED') tProvider = performance.now() - t0;
      }
      if (performance.now() - t0 > 60_000) throw new Error(`event ${i}: not refused within 60 s`);
    }
    await post;
    peer.push(tPeer);
    provider.push(tProvider);
  }
  for (const n of [a, b] as Node[]) {
    n.h.kernel.stop();
    await n.close();
  }
  return { mode: delivery, peer, provider };
}

const q = (xs: number[], p: number) => [...xs].sort((x, y) => x - y)[Math.min(xs.length - 1, Math.floor(p * xs.length))] as number;
const ms = (x: number) => `${x.toFixed(1)} ms`;

const load0 = loadavg()[0] as number;
const rows = [await run('push'), await run('poll')];
const load1 = loadavg()[0] as number;
const table = [
  '| stream | refused at | p50 | p99 | max |',
  '| --- | --- | ---: | ---: | ---: |',
  ...rows.flatMap((r) => [
    `| ${r.mode} | peer kernel B | ${ms(q(r.peer, 0.5))} | ${ms(q(r.peer, 0.99))} | ${ms(Math.max(...r.peer))} |`,
    `| ${r.mode} | provider verifier | ${ms(q(r.provider, 0.5))} | ${ms(q(r.provider, 0.99))} | ${ms(Math.max(...r.provider))} |`,
  ]),
].join('\n');
console.log(table);
writeFileSync(
  'bench/revocation/RESULTS.md',
  `# bench/revocation results\n\nMachine: ${cpus().length} × ${cpus()[0]?.model ?? 'cpu'}, Node ${process.version}; load average (1 min) ${load0.toFixed(2)} before, ${load1.toFixed(2)} after: the machine is shared with other work, so read the figures as an upper bound. In-memory stores; ${EVENTS} events per stream kind.\nCommand: \`npm run bench:revocation -- --events ${EVENTS}\`.\n\nTime from \`POST /v1/revocations\` (an agent XPID) at kernel A to the first refusal: a DENY of a new session of the agent at peer kernel B (receiving A's SSF stream), and \`REVOKED\` from a resource provider's \`kee/verifier\` (polling A's \`GET /v1/revocations\` when its last poll is over ${VERIFIER_POLL_S} s old). The poll stream is polled every ${POLL_MS} ms (\`KEE_SSF_POLL_MS\`; default 2,000 ms); the push stream is delivered as the revocation is stored. Spec bound (digest §2.8): 30 s; aim: p99 under 1 s with push.\n\n${table}\n`,
);
process.exit(0);
