/**
 * An interleaved A/B of the Worker's cold start: two checkouts (A: `--base <dir>`, e.g. a copy of
 * main's src/ with this checkout's node_modules, wasm and wrangler.toml linked; B: this one), the
 * same benchmark code, each round a restart and an empty store for A and for B, the order
 * alternating, so both meet the same machine load. Medians of "up → authorize" (wall and workerd
 * CPU), the Worker's `kernel start` and startup total, and the 1-minute load range, per runner
 * (`workerd-direct`: the bundle under Miniflare without wrangler; `workerd`: `wrangler dev`).
 * Prints a Markdown table; writes nothing (the figures go into RESULTS.md's hand-written sections).
 * Run: `tsx bench/cold-start/ab.ts --base /tmp/base [--runs 7] [--runners workerd-direct,workerd]`.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { coldStart, type Cold, type ColdRuntime } from '../footprint/cold-start.ts';
import { bundleWorker } from './bundle.ts';

const arg = (name: string) => {
  const i = process.argv.indexOf(name);
  return i > 0 ? process.argv[i + 1] : undefined;
};
const base = arg('--base');
if (!base) throw new Error('--base <checkout> is required');
const RUNS = Number(arg('--runs') ?? 7);
const runners = (arg('--runners') ?? 'workerd-direct,workerd').split(',') as ColdRuntime[];
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

const sides = [
  { name: 'A', root: resolve(base) },
  { name: 'B', root: resolve('.') },
];
const lines: string[] = ['| runner | store | up → authorize ms, A → B | CPU ms | kernel start ms | startup total ms | load |', '| --- | --- | ---: | ---: | ---: | ---: | --- |'];
for (const runner of runners) {
  const bundles = runner === 'workerd-direct' ? await Promise.all(sides.map((s) => bundleWorker(s.root))) : null;
  const dirs = sides.map((s) => mkdtempSync(join(tmpdir(), `kee-ab-${s.name}-`)));
  const got: Record<string, Cold[]> = {};
  const loads: number[] = [];
  try {
    const opts = (i: number) => ({ cwd: sides[i]!.root, ...(bundles ? { bundle: bundles[i]!.dir } : {}) });
    for (let i = 0; i < 2; i++) await coldStart(runner, { ...opts(i), dataDir: dirs[i]! }); // the restart stores, filled once
    for (let round = 0; round < RUNS; round++) {
      const order = round % 2 === 0 ? [0, 1] : [1, 0];
      for (const store of ['restart', 'empty']) {
        for (const i of order) {
          loads.push(loadavg()[0]!);
          const cold = await coldStart(runner, { ...opts(i), ...(store === 'restart' ? { dataDir: dirs[i]! } : {}) });
          (got[`${store} ${i}`] ??= []).push(cold);
        }
      }
      console.log(`${runner}: round ${round + 1}/${RUNS} (load ${loadavg()[0]!.toFixed(2)})`);
    }
  } finally {
    for (const d of dirs) rmSync(d, { recursive: true, force: true });
    for (const b of bundles ?? []) b.remove();
  }
  const range = `${Math.min(...loads).toFixed(1)}-${Math.max(...loads).toFixed(1)}`;
  for (const store of ['restart', 'empty']) {
    const [a, b] = [got[`${store} 0`]!, got[`${store} 1`]!];
    const pair = (f: (c: Cold) => number | undefined) => [a, b].map((runs) => median(runs.map((c) => f(c) ?? NaN)).toFixed(0)).join(' → ');
    lines.push(`| ${runner} | ${store} | ${pair((c) => c.fromUp)} | ${pair((c) => c.cpuFromUp)} | ${pair((c) => c.steps['kernel start'])} | ${pair((c) => c.steps.total)} | ${range} |`);
  }
}
console.log(`\nA = ${sides[0]!.root}, B = ${sides[1]!.root}, ${RUNS} starts each per store, medians\n\n${lines.join('\n')}`);
