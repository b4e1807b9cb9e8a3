import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['src/**/*.test.ts', 'test/**/*.test.ts'],
    exclude: ['**/*.case.test.ts', 'node_modules/**'],
    testTimeout: 30_000,
    // vitest's default on 2 cores is one worker (cpus - 1); most suites wait on child processes
    // (kernels, sidecars, etcd, PostgreSQL, chromium), so two overlap those waits (CI time budget)
    maxWorkers: 2,
  },
});
