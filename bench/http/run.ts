/**
 * bench/http: the whole governed decision, `POST /v1/sessions/{id}/authorize`, over HTTP on
 * loopback, against the kernel as it ships on Node (`npm start`'s command line), Bun and Deno
 * (fresh KEE_DATA_DIR, embedded libSQL, every decision durable before it is answered).
 *
 * - KEE_AUTH=none rows: driven by oha (an open-loop/closed-loop HTTP load generator not written
 *   by this project; see oha.ts), closed loop at 64 and 512 connections and open loop at
 *   2k/5k/10k/20k/30k offered, spread over 64 sessions and on one session;
 * - KEE_AUTH=agents rows: a registered agent, sessions opened with a client assertion, and on
 *   every request the session token and a DPoP proof of its own. oha cannot send a different
 *   header per request, and the kernel refuses a reused proof, so these rows are driven from
 *   Node with proofs signed before each run (dpop-load.ts): the generator differs, the server's
 *   CPU per decision does not depend on it.
 *
 * Each row: achieved rate (2xx answers per second), p50/p99/p99.9, errors and non-2xx answers,
 * the server's CPU per decision (utime+stime of the kernel's whole process tree from /proc,
 * before and after, over the 2xx answers) and the machine's 1-minute load average at its end.
 * Runtimes are interleaved row by row (all kernels up at once, each row run on each runtime in
 * turn) so that the machine's noise hits all of them alike.
 *
 * Ceiling rows (`--ceiling`, or any of node-bare, bun-bare, deno-bare, go-bare in `--runtime`): a
 * minimal server per runtime (`node:http`, `Bun.serve`, `Deno.serve`, Go `net/http`; see
 * bare-server.ts) that reads and parses the same request and answers with a body of the size and
 * headers of Kee's answer, and nothing else: the most each runtime's HTTP stack gives on this
 * machine under the same generator, interleaved with the kernels. KEE_AUTH=none rows only. Every
 * row also reports the generator's own CPU per request (oha's, or the Node driver's process).
 *
 * Run: `npm run bench:http [-- --runtime node,bun,deno] [--ceiling] [--auth none,agents] [--seconds 20]
 * [--closed 64,512] [--rates 2000,5000,10000,20000,30000] [--agent-rates 2000,5000]
 * [--sessions 64,1] [--repeat 1] [--open-connections 256] [--compare <checkout>]`. Writes
 * bench/http/RESULTS.md (the text outside its measured markers is kept). `--compare <dir>`: an
 * A/B run, each row also run (interleaved) on kernels started from another checkout of Kee at
 * `<dir>` (its node_modules installed), labelled `<runtime>@<dir's last path segment>`.
 */
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { exportJWK, generateKeyPair, SignJWT, type JWK } from 'jose';
import { KeeAgent, type AgentPrivateJwk } from '../../src/client/index.ts';
import { BARE, bareDescription, isBare, startBare, type Bare } from './bare-server.ts';
import { runDpopLoad, type SignedCall } from './dpop-load.ts';
import { startKernel, startCommand, type Runtime, type ServerProcess } from './kernel-process.ts';
import { findOha, runOha } from './oha.ts';

const arg = (name: string, fallback: string) => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? (process.argv[i + 1] as string) : fallback;
};
const list = (name: string, fallback: string) => arg(name, fallback).split(',').filter(Boolean);
const CEILING = process.argv.includes('--ceiling');
const ALL = list('runtime', 'node,bun,deno');
if (!ALL.every((r) => ['node', 'bun', 'deno'].includes(r) || isBare(r))) throw new Error(`--runtime: a comma-separated list of node, bun, deno, ${BARE.join(', ')}`);
const RUNTIMES = ALL.filter((r) => !isBare(r)) as Runtime[];
/** The ceiling rows asked for: `--ceiling` is all four. */
const BARES: Bare[] = CEILING ? [...BARE] : ALL.filter(isBare);
const AUTHS = list('auth', 'none,agents') as ('none' | 'agents')[];
if (!AUTHS.every((a) => a === 'none' || a === 'agents')) throw new Error('--auth: none, agents or none,agents');
const SECONDS = Number(arg('seconds', '20'));
const CLOSED = list('closed', '64,512').map(Number);
const RATES = list('rates', '2000,5000,10000,20000,30000').map(Number);
const AGENT_RATES = list('agent-rates', '2000,5000').map(Number);
const SESSIONS = list('sessions', '64,1').map(Number);
const REPEAT = Number(arg('repeat', '1'));
const OPEN_CONNECTIONS = Number(arg('open-connections', '256'));
const COMPARE = arg('compare', '');
const AGENT = 'bench-agent';
const BODY = JSON.stringify({ principal: { type: 'Agent', id: AGENT }, action: { type: 'Action', id: 'read' }, resource: { type: 'Dataset', id: 'd' }, context: { ticket: 7 } });

type Load = { connections: number; rate?: number };
type Sample = { seconds: number; ok: number; non2xx: number; errors: number; p50: number; p99: number; p999: number; cpuUs: number; genUs: number; load1: number; perCommit: number };
/** A server to measure: a kernel on a runtime, from this checkout or from the `--compare` one, or a ceiling row's bare server. */
type Variant = { runtime: Runtime | Bare; cwd: string; label: string };
const VARIANTS: Variant[] = [
  ...RUNTIMES.flatMap((runtime) => [{ runtime, cwd: '.', label: runtime }, ...(COMPARE ? [{ runtime, cwd: COMPARE, label: `${runtime}@${COMPARE.replace(/\/+$/, '').split('/').pop()}` }] : [])]),
  ...BARES.map((runtime) => ({ runtime, cwd: '.', label: runtime })),
];
/** The ceiling rows have no authentication: KEE_AUTH=agents rows run on the kernels only. */
const variantsFor = (auth: 'none' | 'agents') => VARIANTS.filter((v) => auth === 'none' || !isBare(v.runtime));
type Row = { auth: 'none' | 'agents'; sessions: number; load: Load; runtime: string; samples: Sample[] };

type Target = { kernel: ServerProcess; bare: boolean; sessionIds: string[]; agent?: KeeAgent; tokens?: Map<string, string> };

async function agentKey(): Promise<AgentPrivateJwk> {
  const { privateKey } = await generateKeyPair('EdDSA', { extractable: true });
  const { x, d } = await exportJWK(privateKey);
  return { kty: 'OKP', crv: 'Ed25519', x: x as string, d: d as string };
}

const maxSessions = Math.max(...SESSIONS);

async function startTarget({ runtime, cwd }: Variant, auth: 'none' | 'agents'): Promise<Target> {
  if (isBare(runtime)) return { kernel: await startBare(runtime), bare: true, sessionIds: Array.from({ length: maxSessions }, () => crypto.randomUUID()) };
  if (auth === 'none') {
    const kernel = await startKernel(runtime, { KEE_AUTH: 'none' }, cwd);
    const sessionIds: string[] = [];
    for (let i = 0; i < maxSessions; i++) {
      const res = await fetch(`${kernel.base}/v1/sessions`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ agent_id: AGENT }) });
      if (res.status !== 201) throw new Error(`opening a session on ${runtime}: ${res.status} ${await res.text()}`);
      sessionIds.push(((await res.json()) as { session_id: string }).session_id);
    }
    return { kernel, bare: false, sessionIds };
  }
  const dir = mkdtempSync(join(tmpdir(), 'kee-bench-http-op-'));
  const op = await generateKeyPair('EdDSA', { extractable: true });
  const jwksFile = join(dir, 'operators.json');
  writeFileSync(jwksFile, JSON.stringify({ keys: [{ ...(await exportJWK(op.publicKey)), kid: 'bench-operator' } as JWK] }));
  const kernel = await startKernel(runtime, { KEE_AUTH: 'agents', KEE_OPERATOR_JWKS: jwksFile }, cwd);
  const operator = await new SignJWT({ roles: ['operator'] }).setProtectedHeader({ alg: 'EdDSA', kid: 'bench-operator' }).setSubject('bench-operator').setExpirationTime('1h').sign(op.privateKey);
  const privateJwk = await agentKey();
  const reg = await fetch(`${kernel.base}/v1/agents`, { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${operator}` }, body: JSON.stringify({ agent_id: AGENT, public_keys: [{ kty: 'OKP', crv: 'Ed25519', x: privateJwk.x }] }) });
  if (reg.status !== 201) throw new Error(`registering the agent on ${runtime}: ${reg.status} ${await reg.text()}`);
  const agent = await KeeAgent.fromPrivateJwk({ kernelUrl: kernel.base, agentId: AGENT, privateJwk });
  const sessions = [];
  for (let i = 0; i < maxSessions; i++) sessions.push(await agent.openSession());
  return { kernel, bare: false, sessionIds: sessions.map((s) => s.sessionId), agent, tokens: new Map(sessions.map((s) => [s.sessionId, s.token])) };
}

/** `n` calls spread over the first `sessions` sessions, each with its own DPoP proof. */
async function signCalls(t: Target, sessions: number, n: number): Promise<SignedCall[]> {
  const agent = t.agent as KeeAgent;
  const out: SignedCall[] = [];
  for (let i = 0; i < n; i += 512) {
    out.push(
      ...(await Promise.all(
        Array.from({ length: Math.min(512, n - i) }, async (_, j) => {
          const id = t.sessionIds[(i + j) % sessions] as string;
          const token = t.tokens?.get(id) as string;
          const path = `/v1/sessions/${id}/authorize`;
          return { path, headers: { authorization: `DPoP ${token}`, dpop: await agent.proof('POST', `${t.kernel.base}${path}`, token) } };
        }),
      )),
    );
  }
  return out;
}

/** How many requests a closed-loop agents row may need at most (its proofs are signed first). */
const AGENT_CLOSED_BUDGET_PER_S = Number(arg('agent-closed-budget', '6000'));

/** The kernel's audit counters from `/metrics`: records committed and the transactions (group commits) they went in. */
async function auditCounters(t: Target): Promise<{ records: number; batches: number }> {
  if (t.bare) return { records: NaN, batches: NaN };
  const text = await (await fetch(`${t.kernel.base}/metrics`)).text();
  const value = (name: string) => Number(new RegExp(`^${name} (\\S+)$`, 'm').exec(text)?.[1] ?? NaN);
  return { records: value('kee_audit_records_total'), batches: value('kee_audit_batches_total') };
}

async function measure(oha: string, t: Target, auth: 'none' | 'agents', sessions: number, load: Load): Promise<Sample> {
  let r: Omit<Sample, 'cpuUs' | 'genUs' | 'load1' | 'perCommit'>;
  let cpu0: number;
  let genMicros: number;
  const audit0 = await auditCounters(t);
  if (auth === 'none') {
    const urls = join(tmpdir(), `kee-bench-http-urls-${t.kernel.pid}-${sessions}.txt`);
    writeFileSync(urls, `${t.sessionIds.slice(0, sessions).map((id) => `${t.kernel.base}/v1/sessions/${id}/authorize`).join('\n')}\n`);
    cpu0 = t.kernel.cpuMicros();
    const o = await runOha(oha, urls, BODY, { 'content-type': 'application/json' }, SECONDS, load);
    r = o;
    genMicros = o.cpuMicros;
  } else {
    const calls = await signCalls(t, sessions, Math.ceil((load.rate ?? AGENT_CLOSED_BUDGET_PER_S) * SECONDS));
    cpu0 = t.kernel.cpuMicros();
    const g0 = process.cpuUsage();
    r = await runDpopLoad(t.kernel.base, BODY, calls, SECONDS, load);
    const g = process.cpuUsage(g0);
    genMicros = g.user + g.system;
  }
  const cpuUs = (t.kernel.cpuMicros() - cpu0) / Math.max(1, r.ok);
  const genUs = genMicros / Math.max(1, r.ok + r.non2xx);
  const audit1 = await auditCounters(t);
  const perCommit = (audit1.records - audit0.records) / Math.max(1, audit1.batches - audit0.batches);
  return { ...r, cpuUs, genUs, load1: loadavg()[0] as number, perCommit };
}

// ---------------------------------------------------------------- run
const { bin: oha, version: ohaVersion } = findOha();
const load0 = loadavg().map((l) => l.toFixed(2)).join(' ');
const started = new Date().toISOString();
const rows: Row[] = [];
for (const auth of AUTHS) {
  const targets = new Map<string, Target>();
  try {
    for (const v of variantsFor(auth)) {
      console.error(`bench/http: starting ${v.label} (KEE_AUTH=${auth})…`);
      targets.set(v.label, await startTarget(v, auth));
    }
    const loads: Load[] = auth === 'none' ? [...CLOSED.map((c) => ({ connections: c })), ...RATES.map((rate) => ({ connections: OPEN_CONNECTIONS, rate }))] : [{ connections: 64 }, ...AGENT_RATES.map((rate) => ({ connections: OPEN_CONNECTIONS, rate }))];
    // warm-up: JIT, the libSQL connection, the policy engine
    for (const v of variantsFor(auth)) await measure(oha, targets.get(v.label) as Target, auth, maxSessions, { connections: 64 }).catch((e: unknown) => console.error(`warm-up on ${v.label}: ${String(e)}`));
    for (const sessions of SESSIONS) {
      for (const load of loads) {
        const byRuntime = new Map<string, Row>(variantsFor(auth).map((v) => [v.label, { auth, sessions, load, runtime: v.label, samples: [] }]));
        for (let rep = 0; rep < REPEAT; rep++) {
          for (const { label: runtime } of variantsFor(auth)) {
            const s = await measure(oha, targets.get(runtime) as Target, auth, sessions, load);
            (byRuntime.get(runtime) as Row).samples.push(s);
            console.error(`${auth} ${sessions}s ${load.rate ? `${load.rate}/s` : `closed ${load.connections}`} ${runtime}: ${Math.round(s.ok / s.seconds)}/s p50 ${s.p50.toFixed(2)} p99 ${s.p99.toFixed(2)} p99.9 ${s.p999.toFixed(2)} ms, ${s.errors}+${s.non2xx} failed, ${s.cpuUs.toFixed(0)} CPU-µs (generator ${s.genUs.toFixed(0)}), ${s.perCommit.toFixed(1)} records/commit, load ${s.load1.toFixed(2)}`);
          }
        }
        rows.push(...byRuntime.values());
      }
    }
  } finally {
    for (const t of targets.values()) await t.kernel.stop();
  }
}
const load1 = loadavg().map((l) => l.toFixed(2)).join(' ');

// ---------------------------------------------------------------- report
/** The sample with the median achieved rate (its latencies and CPU with it). */
function median(samples: Sample[]): Sample {
  const sorted = [...samples].sort((a, b) => a.ok / a.seconds - b.ok / b.seconds);
  return sorted[Math.floor(sorted.length / 2)] as Sample;
}
const n = (v: number) => Math.round(v).toLocaleString('en');
const ms = (v: number) => (Number.isFinite(v) ? (v < 10 ? v.toFixed(2) : v.toFixed(1)) : '—');
const loadName = (l: Load) => (l.rate === undefined ? `closed, ${l.connections} conn.` : `open, ${n(l.rate)}/s offered`);
const version = (r: string) => (r === 'node' ? `Node ${process.version}` : isBare(r) ? `${r} (ceiling)` : r);
const table = (auth: 'none' | 'agents') => {
  const mine = rows.filter((r) => r.auth === auth);
  if (mine.length === 0) return '';
  return [
    '| sessions | load | runtime | achieved /s | p50 ms | p99 ms | p99.9 ms | errors / non-2xx | server CPU-µs per decision | generator CPU-µs per request | audit records per commit | load (1 min) |',
    '| ---: | --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |',
    ...mine.map((r) => {
      const s = median(r.samples);
      return `| ${r.sessions} | ${loadName(r.load)} | ${r.runtime} | ${n(s.ok / s.seconds)} | ${ms(s.p50)} | ${ms(s.p99)} | ${ms(s.p999)} | ${s.errors} / ${s.non2xx} | ${n(s.cpuUs)} | ${n(s.genUs)} | ${Number.isFinite(s.perCommit) ? s.perCommit.toFixed(1) : '—'} | ${s.load1.toFixed(2)} |`;
    }),
  ].join('\n');
};
const pick = (runtime: string, sessions: number, load: Load) => {
  const r = rows.find((x) => x.auth === 'none' && x.runtime === runtime && x.sessions === sessions && x.load.connections === load.connections && x.load.rate === load.rate);
  return r ? median(r.samples) : undefined;
};
const s64 = Math.max(...SESSIONS);
// the issue's columns: each closed loop, p99 / p99.9 at 5,000/s and 20,000/s offered (those run), CPU at 5,000/s (else the first rate)
const shownRates = RATES.filter((r) => r === 5000 || r === 20000);
const cpuRate = RATES.includes(5000) ? 5000 : RATES[0];
const cells = (xs: string[]) => xs.map((x) => ` ${x} |`).join('');
const closed0 = CLOSED[0];
const summary = [
  `| runtime (KEE_AUTH=none, ${s64} sessions) |${cells(CLOSED.map((c) => `closed ${c} conn.`))}${closed0 === undefined ? '' : ` CPU-µs per decision (generator per request), closed ${closed0} |`}${cells(shownRates.map((r) => `p99 / p99.9 at ${n(r)}/s offered`))}${cpuRate === undefined ? '' : ` CPU-µs per decision at ${n(cpuRate)}/s |`}`,
  `| --- |${cells(CLOSED.map(() => '---:'))}${closed0 === undefined ? '' : ' ---: |'}${cells(shownRates.map(() => '---:'))}${cpuRate === undefined ? '' : ' ---: |'}`,
  ...VARIANTS.map(({ label: rt }) => {
    const c0 = closed0 === undefined ? undefined : pick(rt, s64, { connections: closed0 });
    const closedCpu = closed0 === undefined ? '' : ` ${c0 ? `${n(c0.cpuUs)} (${n(c0.genUs)})` : '—'} |`;
    const closed = CLOSED.map((c) => pick(rt, s64, { connections: c })).map((s) => (s ? `${n(s.ok / s.seconds)}/s` : '—'));
    const open = shownRates.map((rate) => pick(rt, s64, { connections: OPEN_CONNECTIONS, rate })).map((s) => (s ? `${ms(s.p99)} / ${ms(s.p999)} ms (${n(s.ok / s.seconds)}/s)` : '—'));
    const cpu = cpuRate === undefined ? undefined : pick(rt, s64, { connections: OPEN_CONNECTIONS, rate: cpuRate });
    return `| ${version(rt)} |${cells(closed)}${closedCpu}${cells(open)}${cpuRate === undefined ? '' : ` ${cpu ? n(cpu.cpuUs) : '—'} |`}`;
  }),
].join('\n');

const command = `npm run bench:http -- --runtime ${ALL.join(',')}${CEILING ? ' --ceiling' : ''} --auth ${AUTHS.join(',')} --seconds ${SECONDS} --closed ${CLOSED.join(',')} --rates ${RATES.join(',')} --agent-rates ${AGENT_RATES.join(',')} --sessions ${SESSIONS.join(',')} --repeat ${REPEAT} --open-connections ${OPEN_CONNECTIONS}${COMPARE ? ` --compare ${COMPARE}` : ''}`;
const measured = `<!-- measured: written by \`npm run bench:http\`; the text outside these markers is kept -->
Machine: ${cpus().length} × ${cpus()[0]?.model ?? 'cpu'}; load average (1, 5, 15 min) ${load0} at the start, ${load1} at the end; started ${started}. The load generator runs on the same cores as the kernel.
Command: \`${command}\`. Load generator: ${ohaVersion} (KEE_AUTH=none rows); Node ${process.version} \`node:http\` with a DPoP proof signed per request (KEE_AUTH=agents rows, see below).
Kernels: ${RUNTIMES.map((r) => `${r} \`${startCommand(r).join(' ').replace(/^node_modules\/\.bin\//, '')}\``).join(', ')}; fresh KEE_DATA_DIR each, embedded libSQL (WAL, synchronous=FULL), every decision committed before it is answered.${BARES.length ? ` Ceiling rows (no kernel: read and parse the body, answer 200 with Kee's answer size and headers, 1,024 bytes; bench/http/bare-server.ts): ${BARES.map(bareDescription).join(', ')}.` : ''} ${SECONDS} s per row${REPEAT > 1 ? `, the median of ${REPEAT} (by achieved rate)` : ''}, runtimes interleaved row by row; open-loop rows on ${OPEN_CONNECTIONS} connections with latency from each request's scheduled send time. CPU-µs per decision: utime+stime of the kernel's process tree (all threads) over the row, divided by its 2xx answers. Generator CPU-µs per request: utime+stime of oha (KEE_AUTH=none) or of the Node driver's process (KEE_AUTH=agents) over the row, divided by its answers; it runs on the same 2 cores. Audit records per commit: the row's growth of \`kee_audit_records_total\` over that of \`kee_audit_batches_total\` (\`/metrics\`), the group commit's batch size.

### Summary

${summary}

### KEE_AUTH=none (oha)

Each request: \`POST /v1/sessions/{id}/authorize\`, \`content-type: application/json\`, the body \`${BODY}\`; the session picked at random per request among the row's sessions (\`--urls-from-file\`).

${table('none')}

### KEE_AUTH=agents (Node driver, one DPoP proof per request)

Each request: the same body, \`Authorization: DPoP <session token>\` and \`DPoP: <proof>\` (EdDSA, \`htm\`, \`htu\`, \`ath\`, its own \`jti\`), signed before the row starts; the kernel checks the token, the proof's signature, \`htu\`/\`htm\`/\`ath\`/\`iat\` and records the \`jti\`. Sessions taken in turn.

${table('agents')}
<!-- /measured -->`;

const file = 'bench/http/RESULTS.md';
const previous = existsSync(file) ? readFileSync(file, 'utf8') : '# bench/http results\n\n<!-- measured --><!-- /measured -->\n';
const report = previous.replace(/<!-- measured[\s\S]*?<!-- \/measured -->/, () => measured);
writeFileSync(file, report);
console.log(measured);
process.exit(0);
