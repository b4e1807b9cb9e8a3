import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['src/**/*.test.ts', 'test/**/*.test.ts'],
    exclude: ['**/*.case.test.ts', 'node_modules/**'],
    testTimeout: 30_000,
  },
});
