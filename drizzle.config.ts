import { defineConfig } from 'drizzle-kit';

export default defineConfig({
  dialect: 'sqlite',
  schema: './src/adapters/libsql/schema.ts',
  out: './src/adapters/libsql/migrations',
});
