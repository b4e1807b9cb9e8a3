import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createClient } from '@libsql/client';
import { drizzle } from 'drizzle-orm/libsql';
import { runReplayStoreContract } from '../../../test/contract/replay-store.case.ts';
import { migrate } from './migrate.ts';
import { SqliteReplayStore } from './replay-store.ts';
import { schema } from './schema.ts';
import type { SqliteDb } from './store.ts';

const dir = mkdtempSync(join(tmpdir(), 'kee-replay-'));
let files = 0;

// the workerd isolates of a Worker share one D1 database: both kernels are stores on one db
runReplayStoreContract('SqliteReplayStore', async () => {
  const client = createClient({ url: `file:${join(dir, `replay-${files++}.db`)}` });
  const db = drizzle(client, { schema }) as unknown as SqliteDb;
  await migrate(db);
  return {
    kernel: () => new SqliteReplayStore(db),
    rows: async () => (await client.execute('SELECT id, expires_at FROM replay_ids ORDER BY id')).rows as unknown as { id: string; expires_at: number }[],
  };
});
