/**
 * bench/mcp: what `kee mcp-gateway` adds to one `tools/call`. The same call (`read_text_file`
 * of a small file from @modelcontextprotocol/server-filesystem over stdio) made by the official
 * SDK Client:
 * - direct: Client -> upstream;
 * - embedded: Client -> gateway (in-process, in-memory MCP transport) -> upstream, the gateway
 *   holding a kernel over an embedded libSQL file as `kee mcp-gateway` opens it (on the main
 *   thread with the native writer, batches at the end of the loop's turn; kee-policy, the
 *   `mcp-tools` sample profile): projection, decision + durable record (CEDAR_PERMIT, no
 *   credential: the gateway enforces it itself), forward, durable TOOL_RESULT record;
 * - the same with the file on the libSQL worker thread (`kernel.store_thread: "worker"`, as
 *   `npm start` serves it);
 * - the same with `result_records: "with_next_call"`: the TOOL_RESULT is queued before the answer
 *   and committed with the next call's decision (one commit per call instead of two);
 * - embedded, in-memory store: the same without the database;
 * - remote: the gateway reaching a kernel over HTTP on loopback (`@hono/node-server`,
 *   KEE_AUTH=agents: session token + DPoP proof per request; decision and TOOL_RESULT requests).
 * Every kernel is built without a span exporter, as `kee mcp-gateway` builds it when
 * OTEL_EXPORTER_OTLP_ENDPOINT is not set (the test harness's in-memory exporter would add its own work).
 * Before and after the calls, the disk's commit floor: the p50 of 400 fdatasync()s, and of 400 fsync()s, of a 1 KiB rewrite.
 * Sequential calls, one agent session each; the modes take turns call by call, so that machine
 * load and the disk's latency (which varies from second to second on a shared machine) hit them alike. `--dir <dir>`: where the database files go (default the OS temp directory);
 * `--baseline <checkout>`: adds a row with that checkout's own embedded gateway in its default
 * arrangement (its gateway, kernel and libSQL store code; A/B in one run). That second copy of
 * the code shares the SDK's modules with this one and runs slower for it: an A/A run (a copy of
 * this checkout as the baseline) put it ~100-130 µs of CPU and ~0.05 ms at p50 behind with three
 * gateways in the process (with two, the rows were even); take an A/A beside an A/B;
 * `--only <word,word>`: only the modes whose names contain one of the words (and the direct call);
 * `--round <n>`: n calls per mode per turn (default 1). All gateways share this one process and
 * its event loop: a main-thread store's commit outside its own calls (a `with_next_call` result
 * committed by its 20 ms timer while another mode's call runs) holds up the other modes' calls,
 * which no real gateway (one kernel per process) sees; compare main-thread and worker rows
 * without the `with_next_call` rows (`--only`) when that matters. CPU: the process's (threads included, the upstream child
 * not) user + system time per call. Run: `npm run bench:mcp [-- --calls 2000]`. Writes its measured section of
 * bench/mcp/RESULTS.md (between the markers; the hand-written sections around it are kept).
 */
import '../../src/entry/node-v8-flags.ts';
import { writeMeasured } from '../results-file.ts';
import { closeSync, existsSync, fdatasyncSync, fsyncSync, mkdtempSync, openSync, realpathSync, writeFileSync, writeSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { serve } from '@hono/node-server';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { InMemoryTransport } from '@modelcontextprotocol/sdk/inMemory.js';
import { sha256 } from '@noble/hashes/sha2.js';
import { exportJWK, generateKeyPair } from 'jose';
import { readFileSync } from 'node:fs';
import type { AgentPrivateJwk } from '../../src/client/index.ts';
import type { Kernel } from '../../src/kernel/kernel.ts';
import { embeddedGovernor } from '../../src/mcp/embedded-governor.ts';
import { createGatewaySession } from '../../src/mcp/gateway.ts';
import type { Governor } from '../../src/mcp/governor.ts';
import { remoteGovernor } from '../../src/mcp/remote-governor.ts';
import { openWorkerLibsqlStore } from '../../src/entry/open-worker-store.ts';
import { openMainThreadLibsqlStore } from '../../src/adapters/libsql/main-thread.ts';
import { connectUpstreams } from '../../src/mcp/upstreams.ts';
import { createGovernanceTracing } from '../../src/adapters/otel/telemetry.ts';
import { makeHarness } from '../../test/support/harness.ts';

const arg = process.argv.indexOf('--calls');
const CALLS = arg > 0 ? Number(process.argv[arg + 1]) : 2000;
const roundArg = process.argv.indexOf('--round');
const ROUND = roundArg > 0 ? Math.max(1, Number(process.argv[roundArg + 1])) : 1;
const onlyArg = process.argv.indexOf('--only');
// `--only main,worker`: the direct call and the modes whose names contain one of these words
const only = onlyArg > 0 ? (process.argv[onlyArg + 1] as string).split(',') : null;
const FS_SERVER = 'node_modules/@modelcontextprotocol/server-filesystem/dist/index.js';
const PROFILE = { capProfileId: 'mcp-tools', policies: readFileSync('examples/profiles/mcp-read-only-v1.cedar', 'utf8') };

const dirArg = process.argv.indexOf('--dir');
const baselineArg = process.argv.indexOf('--baseline');
// `--baseline <checkout>`: one more row, that checkout's embedded gateway in its default arrangement (A/B in one run)
const baseline = baselineArg > 0 ? process.argv[baselineArg + 1] : undefined;
// `--dir /dev/shm` (tmpfs: fsync costs nothing) measures what the gateway adds besides the disk
const dir = realpathSync(mkdtempSync(join(dirArg > 0 ? (process.argv[dirArg + 1] as string) : tmpdir(), 'kee-bench-mcp-')));
const file = join(dir, 'a.txt');
writeFileSync(file, 'a small file\n');
const upstreamConfig = { fs: { command: 'node', args: [FS_SERVER, dir], roots: [dir] } };

async function jwk(): Promise<AgentPrivateJwk> {
  const { privateKey } = await generateKeyPair('EdDSA', { extractable: true });
  const { x, d } = await exportJWK(privateKey);
  return { kty: 'OKP', crv: 'Ed25519', x: x as string, d: d as string };
}

type Mode = { name: string; call: () => Promise<unknown>; samples: number[]; cpuUs?: number };

async function direct(): Promise<Mode> {
  const client = new Client({ name: 'bench', version: '1' });
  await client.connect(new StdioClientTransport({ command: 'node', args: [FS_SERVER, dir], stderr: 'ignore' }));
  return { name: 'direct (Client -> upstream)', call: () => client.callTool({ name: 'read_text_file', arguments: { path: file } }), samples: [] };
}

async function throughGateway(name: string, governor: Governor, resultRecords: 'before_answer' | 'with_next_call' = 'before_answer', gateway: typeof createGatewaySession = createGatewaySession): Promise<Mode> {
  const catalog = await connectUpstreams(upstreamConfig, () => {});
  const gw = gateway({ governor, catalog, sha256, log: (l) => console.error(l), resultRecords });
  const [a, b] = InMemoryTransport.createLinkedPair();
  await gw.server.connect(b);
  const client = new Client({ name: 'bench', version: '1' });
  await client.connect(a);
  return {
    name,
    call: async () => {
      const r = await client.callTool({ name: 'fs__read_text_file', arguments: { path: file } });
      if (r.isError) throw new Error(JSON.stringify(r.content));
    },
    samples: [],
  };
}

/** The audit tuning `kee mcp-gateway` (src/entry/local.ts) gives its embedded libSQL store (either thread). */
const EAGER = { options: { eagerBatch: 256 } };

/** A kernel over an embedded libSQL file served as `kee mcp-gateway` does (`kernel.store_thread`, default `main`). */
async function libsqlKernel(name: string, thread: 'worker' | 'main'): Promise<Kernel> {
  const url = `file:${join(dir, name)}`;
  const { store } = thread === 'main' ? await openMainThreadLibsqlStore(url) : await openWorkerLibsqlStore(url);
  const h = makeHarness({ store, profile: PROFILE, deps: { ...EAGER, telemetry: cliTelemetry() } });
  await h.started;
  return h.kernel;
}

/**
 * `--baseline <checkout>`: that checkout's whole embedded gateway in its default arrangement
 * (its gateway, governor, kernel, harness and libSQL store: on the main thread where it has
 * one, else its worker store), built as the row above, for an A/B in one run.
 */
async function baselineMode(name: string): Promise<Mode> {
  const root = realpathSync(baseline as string);
  const from = <T>(path: string) => import(join(root, path)) as Promise<T>;
  const { makeHarness: otherHarness } = await from<{ makeHarness: typeof makeHarness }>('test/support/harness.ts');
  const { embeddedGovernor: otherGovernor } = await from<{ embeddedGovernor: typeof embeddedGovernor }>('src/mcp/embedded-governor.ts');
  const { createGatewaySession: otherGateway } = await from<{ createGatewaySession: typeof createGatewaySession }>('src/mcp/gateway.ts');
  const { createGovernanceTracing: otherTracing } = await from<{ createGovernanceTracing: typeof createGovernanceTracing }>('src/adapters/otel/telemetry.ts');
  const url = `file:${join(dir, 'kee-baseline.db')}`;
  const main = existsSync(join(root, 'src/adapters/libsql/main-thread.ts'));
  const { store } = main
    ? await (await from<{ openMainThreadLibsqlStore: typeof openMainThreadLibsqlStore }>('src/adapters/libsql/main-thread.ts')).openMainThreadLibsqlStore(url)
    : await (await from<{ openWorkerLibsqlStore: typeof openWorkerLibsqlStore }>('src/entry/open-worker-store.ts')).openWorkerLibsqlStore(url);
  const h = otherHarness({ store, profile: PROFILE, deps: { ...EAGER, telemetry: otherTracing({ exporters: [] }).telemetry } });
  await h.started;
  return throughGateway(name, await otherGovernor(h.kernel, 'bench-agent', await jwk()), 'before_answer', otherGateway);
}

/** The kernel's telemetry as `kee mcp-gateway` builds it without OTEL_EXPORTER_OTLP_ENDPOINT: no exporter (src/entry/local.ts). */
function cliTelemetry() {
  return createGovernanceTracing({ exporters: [] }).telemetry;
}

async function remoteKernelUrl(agentKey: AgentPrivateJwk): Promise<string> {
  const h = makeHarness({ profile: PROFILE, deps: { telemetry: cliTelemetry(), options: { auth: 'agents', eagerBatch: 256 } } });
  await h.started;
  await h.kernel.registerAgent({ agent_id: 'bench-remote', public_keys: [{ x: agentKey.x }] }, 'bench');
  return new Promise((ok) => {
    serve({ fetch: h.app.fetch, port: 0, hostname: '127.0.0.1' }, (info) => ok(`http://127.0.0.1:${info.port}`));
  });
}

function pct(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] as number;
}

/**
 * p50 of `sync` after rewriting 1 KiB in place, in ms: about what one durable commit costs this
 * disk at least. `fdatasync()` flushes the data; `fsync()` (what SQLite as the libsql package
 * builds it calls at every WAL commit: strace shows fsync, never fdatasync) also journals the
 * file's changed mtime, at most once per clock tick, which on ext4 can cost a second flush.
 */
function fsyncFloor(sync: (fd: number) => void = fdatasyncSync): number {
  const fd = openSync(join(dir, 'fsync-probe'), 'w');
  const buf = Buffer.alloc(1024, 1);
  const t: number[] = [];
  for (let i = 0; i < 400; i++) {
    const t0 = performance.now();
    // in place, as a WAL page is rewritten once the WAL is reset: no file growth to journal
    writeSync(fd, buf, 0, buf.length, 0);
    sync(fd);
    t.push(performance.now() - t0);
  }
  closeSync(fd);
  return pct(t.sort((a, b) => a - b), 50);
}

const load0 = loadavg()[0] as number;
const fsync0 = fsyncFloor();
const fullFsync0 = fsyncFloor(fsyncSync);
const remoteKey = await jwk();
/** Every mode, by name; a mode is set up only if selected (`--only`). */
const MODES: [string, () => Promise<Mode>][] = [
  ...(baseline ? [[`baseline: ${baseline}'s embedded gateway (its default)`, () => baselineMode(`baseline: ${baseline}'s embedded gateway (its default)`)] as [string, () => Promise<Mode>]] : []),
  ['embedded, libSQL file store (main thread, the default)', async () => throughGateway('embedded, libSQL file store (main thread, the default)', await embeddedGovernor(await libsqlKernel('kee.db', 'main'), 'bench-agent', await jwk()))],
  ['embedded, libSQL (main thread), `result_records: "with_next_call"`', async () => throughGateway('embedded, libSQL (main thread), `result_records: "with_next_call"`', await embeddedGovernor(await libsqlKernel('kee-next.db', 'main'), 'bench-agent', await jwk()), 'with_next_call')],
  ['embedded, libSQL on the worker thread (`store_thread: "worker"`)', async () => throughGateway('embedded, libSQL on the worker thread (`store_thread: "worker"`)', await embeddedGovernor(await libsqlKernel('kee-worker.db', 'worker'), 'bench-agent', await jwk()))],
  ['embedded, libSQL on the worker thread, `with_next_call`', async () => throughGateway('embedded, libSQL on the worker thread, `with_next_call`', await embeddedGovernor(await libsqlKernel('kee-worker-next.db', 'worker'), 'bench-agent', await jwk()), 'with_next_call')],
  ['embedded, in-memory store', async () => throughGateway('embedded, in-memory store', await embeddedGovernor((await (async () => { const h = makeHarness({ profile: PROFILE, deps: { ...EAGER, telemetry: cliTelemetry() } }); await h.started; return h.kernel; })()), 'bench-agent', await jwk()))],
  ['remote (HTTP on loopback, DPoP; kernel in memory)', async () => throughGateway('remote (HTTP on loopback, DPoP; kernel in memory)', await remoteGovernor(await remoteKernelUrl(remoteKey), 'bench-remote', remoteKey))],
];
const modes: Mode[] = [await direct()];
for (const [name, make] of MODES) if (!only || only.some((w) => name.includes(w))) modes.push(await make());
for (const m of modes) for (let i = 0; i < 200; i++) await m.call();
for (let done = 0; done < CALLS; done += ROUND) {
  for (const m of modes) {
    const cpu0 = process.cpuUsage();
    for (let i = 0; i < ROUND; i++) {
      const t0 = performance.now();
      await m.call();
      m.samples.push(performance.now() - t0);
    }
    const cpu = process.cpuUsage(cpu0);
    m.cpuUs = (m.cpuUs ?? 0) + cpu.user + cpu.system;
  }
}
const load1 = loadavg()[0] as number;
const fsync1 = fsyncFloor();
const fullFsync1 = fsyncFloor(fsyncSync);
const base = modes[0] as Mode;
const sortedBase = base.samples.slice().sort((a, b) => a - b);
const rows = modes.map((m) => {
  const s = m.samples.slice().sort((a, b) => a - b);
  const p50 = pct(s, 50);
  const p99 = pct(s, 99);
  const added = m === base ? '' : `${(p50 - pct(sortedBase, 50)).toFixed(2)} ms | ${(p99 - pct(sortedBase, 99)).toFixed(2)} ms`;
  return `| ${m.name} | ${p50.toFixed(2)} ms | ${p99.toFixed(2)} ms | ${added || '— | —'} | ${Math.round((m.cpuUs ?? 0) / m.samples.length)} |`;
});
const body = `Machine: ${cpus().length} × ${cpus()[0]?.model ?? 'unknown CPU'}, Node ${process.version}; load average ${load0.toFixed(2)} at the start, ${load1.toFixed(2)} at the end (the machine is shared with other work: compare rows of one run, not runs).
The disk's commit floor (p50 of 400 \`fdatasync()\` after rewriting 1 KiB in place, in the bench's directory): ${fsync0.toFixed(2)} ms before the calls, ${fsync1.toFixed(2)} ms after; with \`fsync()\`, which SQLite (the libsql build) calls at each commit: ${fullFsync0.toFixed(2)} ms before, ${fullFsync1.toFixed(2)} ms after.
Command: \`npm run bench:mcp -- --calls ${CALLS}${dirArg > 0 ? ` --dir ${process.argv[dirArg + 1]}` : ''}${baseline ? ` --baseline ${baseline}` : ''}${only ? ` --only "${only.join(',')}"` : ''}${ROUND !== 1 ? ` --round ${ROUND}` : ''}\`: ${CALLS} sequential \`tools/call\` per mode (\`read_text_file\` of a 13-byte file, @modelcontextprotocol/server-filesystem over stdio), modes taking turns ${ROUND === 1 ? 'call by call' : `in rounds of ${ROUND}`}, after 200 warm-up calls each.

| path | p50 | p99 | added p50 | added p99 | CPU µs/call |
| --- | ---: | ---: | ---: | ---: | ---: |
${rows.join('\n')}

"Added" is the mode's percentile minus the direct call's; CPU is the benchmark process's user +
system time per call (its threads included, the upstream's process not). Every kernel is built
as \`kee mcp-gateway\` builds it without \`OTEL_EXPORTER_OTLP_ENDPOINT\`: no span exporter. The embedded gateway
does per call: the argument projection and its SHA-256 digest, one decision recorded durably
(CEDAR_PERMIT) before the call is forwarded, the forward, and the TOOL_RESULT record of the
answer's digest. By default (\`result_records: "before_answer"\`) the TOOL_RESULT is durable
before the agent gets the answer: two commits per call (WAL, \`synchronous=FULL\`) on the libSQL
rows. With \`"with_next_call"\` the TOOL_RESULT is queued in the session's chain before the
answer and committed in one transaction with the next call's decision, so it is durable before
anything of the next call is forwarded (and before the close): one commit per call. The remote
gateway signs a DPoP proof per request and the kernel checks it, over HTTP: the decision (with
the PERMIT's credential) and the TOOL_RESULT, two requests per call.

Main thread or worker thread (\`kernel.store_thread\`, docs/mcp.md): both commit the same way
(the native writer: a lone record is one INSERT in its own transaction, a batch one
\`BEGIN IMMEDIATE … COMMIT\`; fsynced) before the decision is answered.
On the worker thread every commit also crosses two thread hand-offs (the batch to the worker, its
reply back), each a message-port wake-up of the other thread; on the main thread the commit holds
the gateway's event loop instead, which a gateway making one call at a time does not notice.

Reading it: no arrangement that keeps the decision durable before the forward can add less than
one commit to a call: with a commit floor ${fsync0 > 1 ? 'above' : 'below'} 1 ms (line above) the aim of at
most 1 ms added at p50 ${fsync0 > 1 ? 'cannot be met with a durable store on this disk' : 'is within reach'}.
The in-memory row is the gateway's own cost (projection, the SDK's validation of both messages,
the decision, two appends). \`with_next_call\` takes the second commit out of the agent's wait;
the first (the decision before the forward) stays.
The p99 columns and the remote row are dominated by the load average above on two cores.
`;
console.log(writeMeasured('bench/mcp/RESULTS.md', 'bench/mcp results', body, 'npm run bench:mcp'));
process.exit(0);
