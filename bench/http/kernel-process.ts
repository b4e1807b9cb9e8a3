/**
 * bench/http: the kernel process of one runtime, started as it ships (Node with `npm start`'s own
 * command line, Bun and Deno with `start:bun`/`start:deno`), in a fresh KEE_DATA_DIR (embedded
 * libSQL), and the CPU time of its whole process tree read from /proc.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from '../../test/support/free-port.ts';

export type Runtime = 'node' | 'bun' | 'deno';

const bin = (name: string) => join('node_modules', '.bin', name);

/** The `npm run start[:bun|:deno]` command line of package.json, its program taken from node_modules/.bin. */
export function startCommand(runtime: Runtime, cwd = '.'): string[] {
  const scripts = (JSON.parse(readFileSync(join(cwd, 'package.json'), 'utf8')) as { scripts: Record<string, string> }).scripts;
  const line = scripts[runtime === 'node' ? 'start' : `start:${runtime}`];
  if (!line) throw new Error(`package.json has no start script for ${runtime}`);
  const [program, ...args] = line.trim().split(/\s+/);
  return [bin(program as string), ...args];
}

export type KernelProcess = { runtime: Runtime; base: string; pid: number; dataDir: string; cpuMicros: () => number; stop: () => Promise<void>; output: () => string };

const TICK_US = 1e6 / 100; // USER_HZ is 100 on Linux

/** utime + stime (µs) of every process in the process group `pgid` (threads included: /proc/<pid>/stat sums them). */
export function groupCpuMicros(pgid: number): number {
  let ticks = 0;
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    let stat: string;
    try {
      stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
    } catch {
      continue; // gone
    }
    // fields after the `(comm)`, which may hold spaces: state ppid pgrp … utime(14) stime(15)
    const rest = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    if (Number(rest[2]) !== pgid) continue;
    ticks += Number(rest[11]) + Number(rest[12]);
  }
  return ticks * TICK_US;
}

/** `cwd`: the checkout to start the kernel from (another one for A/B runs; its node_modules must be installed). */
export async function startKernel(runtime: Runtime, env: Record<string, string>, cwd = '.'): Promise<KernelProcess> {
  const dataDir = mkdtempSync(join(tmpdir(), `kee-bench-http-${runtime}-`));
  const [cmd, ...args] = startCommand(runtime, cwd);
  return { ...(await startServer(runtime, cmd as string, args, { KEE_DATA_DIR: dataDir, ...env }, cwd)), runtime, dataDir };
}

export type ServerProcess = { base: string; pid: number; cpuMicros: () => number; stop: () => Promise<void>; output: () => string };

/**
 * A server process on a free loopback port (`PORT`), in a process group of its own, up once its
 * `GET /healthz` answers 200 (90 s at most). `label` names it in errors.
 */
export async function startServer(label: string, cmd: string, args: string[], env: Record<string, string>, cwd = '.'): Promise<ServerProcess> {
  const port = await freePort();
  const child: ChildProcess = spawn(cmd, args, {
    cwd,
    env: { ...process.env, PORT: String(port), NO_COLOR: '1', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: true,
  });
  let out = '';
  child.stdout?.on('data', (d) => (out = (out + String(d)).slice(-20_000)));
  child.stderr?.on('data', (d) => (out = (out + String(d)).slice(-20_000)));
  const pid = child.pid as number;
  const base = `http://127.0.0.1:${port}`;
  const stop = async () => {
    if (child.exitCode !== null) return;
    const exited = new Promise((r) => child.once('exit', r));
    try {
      process.kill(-pid, 'SIGTERM');
    } catch {
      /* gone */
    }
    const t = setTimeout(() => {
      try {
        process.kill(-pid, 'SIGKILL');
      } catch {
        /* gone */
      }
    }, 5000);
    await exited;
    clearTimeout(t);
  };
  const deadline = Date.now() + 90_000;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`${label} exited with ${child.exitCode}:\n${out}`);
    try {
      if ((await fetch(`${base}/healthz`)).status === 200) return { base, pid, cpuMicros: () => groupCpuMicros(pid), stop, output: () => out };
    } catch {
      /* not up yet */
    }
    await new Promise((r) => setTimeout(r, 250));
  }
  await stop();
  throw new Error(`${label} did not become healthy in time:\n${out}`);
}
