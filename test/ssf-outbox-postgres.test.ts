/**
 * The SSF outbox across restarts on PostgreSQL (test/contract/ssf-outbox.case.ts): each kernel
 * opens its own pool on the same database and closes it when it stops. (libSQL: test/ssf-outbox.test.ts.)
 */
import { runSsfOutboxCases } from './contract/ssf-outbox.case.ts';
import { usePostgres } from './support/postgres.ts';

// never skipped: a missing server fails with the reason
const pg = usePostgres();

runSsfOutboxCases('PostgreSQL', async () => {
  const url = await pg.database();
  return {
    open: async () => {
      const opened = await pg.open(url);
      return { store: opened.store, close: () => opened.close() };
    },
  };
});
