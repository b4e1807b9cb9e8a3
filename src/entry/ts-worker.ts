/**
 * Starts a worker thread running a TypeScript entry file, on Node, Bun and Deno. Bun and Deno
 * run `.ts` directly. Node 20 hands neither the main thread's tsx loader hooks nor an `--import`
 * in execArgv to a worker, so there a two-line bootstrap registers tsx inside the worker first.
 */
import process from 'node:process';
import { Worker, type WorkerOptions } from 'node:worker_threads';

export function startTsWorker(script: URL, options: WorkerOptions): Worker {
  if ('bun' in process.versions || 'deno' in process.versions) return new Worker(script, options);
  const tsx = import.meta.resolve('tsx/esm/api');
  const bootstrap = `import(${JSON.stringify(tsx)}).then((tsx) => { tsx.register(); return import(${JSON.stringify(script.href)}); })`;
  return new Worker(bootstrap, { ...options, eval: true });
}
