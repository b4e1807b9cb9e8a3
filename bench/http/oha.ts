/**
 * bench/http: the `oha` load generator (https://github.com/hatoo/oha), found on PATH or installed
 * once with `cargo install oha --locked` into ~/.cache/kee-bench/oha, and one run of it read from
 * its JSON output.
 */
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmSync } from 'node:fs';
import { homedir, tmpdir } from 'node:os';
import { join } from 'node:path';

const CACHE_ROOT = join(process.env.XDG_CACHE_HOME ?? join(homedir(), '.cache'), 'kee-bench', 'oha');

/** The oha binary and its version (`oha 1.16.0`), installing it with cargo when absent. */
export function findOha(): { bin: string; version: string } {
  const candidates = ['oha', join(CACHE_ROOT, 'bin', 'oha')];
  for (const bin of candidates) {
    const r = spawnSync(bin, ['--version'], { encoding: 'utf8' });
    if (r.status === 0) return { bin, version: r.stdout.trim() };
  }
  mkdirSync(CACHE_ROOT, { recursive: true });
  console.error(`bench/http: installing oha with \`cargo install oha --locked --root ${CACHE_ROOT}\` (a few minutes, once)…`);
  const r = spawnSync('cargo', ['install', 'oha', '--locked', '--root', CACHE_ROOT], { stdio: 'inherit' });
  const bin = join(CACHE_ROOT, 'bin', 'oha');
  if (r.status !== 0 || !existsSync(bin)) throw new Error('could not install oha with cargo (is a Rust toolchain on PATH?)');
  return { bin, version: spawnSync(bin, ['--version'], { encoding: 'utf8' }).stdout.trim() };
}

export type OhaLoad = { connections: number; rate?: number };
export type OhaResult = { seconds: number; ok: number; non2xx: number; errors: number; p50: number; p99: number; p999: number; statuses: Record<string, number>; errorKinds: Record<string, number>; cpuMicros: number };

type OhaJson = {
  summary: { total: number };
  latencyPercentiles: Record<string, number | null>;
  latencyPercentilesSuccessful?: Record<string, number | null>;
  statusCodeDistribution: Record<string, number>;
  errorDistribution: Record<string, number>;
};

/**
 * One oha run: POST `body` to the URLs in `urlsFile` (one a line, each request picks one at
 * random) with `headers`, for `seconds`, on `load.connections` keep-alive connections; open loop
 * at `load.rate`/s with latency counted from each request's scheduled time
 * (`--latency-correction`), closed loop when no rate is given. Requests in flight at the end are
 * waited for (`-w`), not counted as errors. `cpuMicros`: the generator's own CPU time over the run
 * (utime+stime of oha and its threads, read as the children's time of a `sh` that waited for it).
 */
export async function runOha(bin: string, urlsFile: string, body: string, headers: Record<string, string>, seconds: number, load: OhaLoad): Promise<OhaResult> {
  const args = ['--no-tui', '--output-format', 'json', '-z', `${seconds}s`, '-w', '-c', String(load.connections), '-m', 'POST', '-d', body, '--urls-from-file', urlsFile];
  for (const [k, v] of Object.entries(headers)) args.push('-H', `${k}: ${v}`);
  if (load.rate !== undefined) args.push('-q', String(load.rate), '--latency-correction');
  // `sh` runs oha, waits for it, and writes its own /proc stat: cutime+cstime are then oha's
  const statFile = join(tmpdir(), `kee-bench-oha-stat-${process.pid}-${Date.now()}`);
  const script = '"$@"; rc=$?; cat /proc/$$/stat > "$KEE_OHA_STAT"; exit $rc';
  const child = spawn('sh', ['-c', script, 'oha-run', bin, ...args], { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, KEE_OHA_STAT: statFile } });
  let out = '';
  let err = '';
  child.stdout.on('data', (d) => (out += String(d)));
  child.stderr.on('data', (d) => (err += String(d)));
  const code = await new Promise<number | null>((r) => child.once('exit', r));
  if (code !== 0) throw new Error(`oha exited with ${code}: ${err.slice(-2000)}`);
  const stat = readFileSync(statFile, 'utf8');
  rmSync(statFile, { force: true });
  // fields after `(comm)`: state(3) … utime(14) stime(15) cutime(16) cstime(17); USER_HZ is 100
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  const cpuMicros = (Number(fields[13]) + Number(fields[14])) * 1e4;
  const j = JSON.parse(out) as OhaJson;
  const statuses = j.statusCodeDistribution ?? {};
  let ok = 0;
  let non2xx = 0;
  for (const [status, n] of Object.entries(statuses)) (status.startsWith('2') ? (ok += n) : (non2xx += n));
  const errors = Object.values(j.errorDistribution ?? {}).reduce((a, b) => a + b, 0);
  const pcts = j.latencyPercentilesSuccessful ?? j.latencyPercentiles;
  const ms = (k: string) => 1000 * Number(pcts[k] ?? NaN);
  return { seconds: j.summary.total, ok, non2xx, errors, p50: ms('p50'), p99: ms('p99'), p999: ms('p99.9'), statuses, errorKinds: j.errorDistribution ?? {}, cpuMicros };
}
