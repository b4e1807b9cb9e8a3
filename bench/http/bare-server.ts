/**
 * bench/http ceiling rows: a minimal server per runtime for the same
 * `POST /v1/sessions/{id}/authorize` (bench/http/bare/): it reads and JSON-parses the body and
 * answers 200 with a JSON body of the size (1,024 bytes) and headers of Kee's real PERMIT answer
 * (bare/answer.json, captured from a kernel), and does nothing else: no policy, no store, no
 * signature. What the runtime's HTTP stack and this machine allow at most, under the same
 * generator and loads as the kernel rows.
 *
 * - `node-bare`: `node:http` (bare/node.mjs, plain `node`);
 * - `bun-bare`, `deno-bare`: `Bun.serve` / `Deno.serve` (bare/web.js);
 * - `go-bare`: Go `net/http` (bare/server.go, built into a temporary directory at bench time with
 *   the Go toolchain on PATH or at /usr/local/go/bin/go; standard library only, nothing downloaded).
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startServer, type ServerProcess } from './kernel-process.ts';

export const BARE = ['node-bare', 'bun-bare', 'deno-bare', 'go-bare'] as const;
export type Bare = (typeof BARE)[number];
export const isBare = (r: string): r is Bare => (BARE as readonly string[]).includes(r);

const DIR = join('bench', 'http', 'bare');
const bin = (name: string) => join('node_modules', '.bin', name);

function goToolchain(): string {
  for (const go of ['go', '/usr/local/go/bin/go']) if (spawnSync(go, ['version']).status === 0) return go;
  throw new Error('go-bare: no Go toolchain (go on PATH or /usr/local/go/bin/go)');
}

let goBinary: string | undefined;
/** Builds bare/server.go once per run (GOTOOLCHAIN=local, GOPROXY=off: nothing is downloaded). */
function buildGo(): string {
  if (goBinary) return goBinary;
  const out = join(mkdtempSync(join(tmpdir(), 'kee-bench-go-bare-')), 'go-bare');
  const r = spawnSync(goToolchain(), ['build', '-o', out, join(DIR, 'server.go')], { env: { ...process.env, GOTOOLCHAIN: 'local', GOPROXY: 'off', GOFLAGS: '' }, encoding: 'utf8' });
  if (r.status !== 0 || !existsSync(out)) throw new Error(`go-bare: go build failed: ${r.stderr}`);
  return (goBinary = out);
}

/** The command line of a ceiling row's server. */
export function bareCommand(kind: Bare): string[] {
  switch (kind) {
    case 'node-bare':
      return [process.execPath, join(DIR, 'node.mjs')];
    case 'bun-bare':
      return [bin('bun'), join(DIR, 'web.js')];
    case 'deno-bare':
      return [bin('deno'), 'run', '--allow-net', '--allow-env', '--allow-read', join(DIR, 'web.js')];
    case 'go-bare':
      return [buildGo(), join(DIR, 'answer.json')];
  }
}

/** A line for the report: how each ceiling row's server was run. */
export function bareDescription(kind: Bare): string {
  if (kind === 'go-bare') return `go-bare (${spawnSync(goToolchain(), ['version'], { encoding: 'utf8' }).stdout.trim().replace(/^go version /, '')}, \`net/http\`, bare/server.go built with \`go build\`, GOMAXPROCS default)`;
  const [cmd, ...args] = bareCommand(kind);
  return `${kind} \`${[cmd === process.execPath ? 'node' : (cmd as string).replace(/^node_modules\/\.bin\//, ''), ...args].join(' ')}\``;
}

export function startBare(kind: Bare): Promise<ServerProcess> {
  const [cmd, ...args] = bareCommand(kind);
  return startServer(kind, cmd as string, args, {});
}
