import { sql } from 'drizzle-orm';
import { pgTable, text } from 'drizzle-orm/pg-core';
import { MIGRATIONS } from './migrations/bundle.gen.ts';
import type { PgDb } from './store.ts';

/** Bookkeeping: one row per applied migration (not in schema.ts, so drizzle-kit leaves it alone). */
const keeMigrations = pgTable('__kee_migrations', {
  tag: text('tag').primaryKey(),
  appliedAt: text('applied_at').notNull(),
});

/** The advisory lock serializing migrators: the two-int form, ("KEE", "mig"). */
const LOCK = sql.raw(`SELECT pg_advisory_xact_lock(${0x4b4545}, ${0x6d6967})`);

/**
 * Applies the bundled drizzle-kit migrations that have not run yet, all in one transaction with
 * their bookkeeping rows (PostgreSQL's DDL is transactional: all or none). A transaction-scoped
 * advisory lock, taken first, makes kernels that start together wait for each other; READ
 * COMMITTED (not REPEATABLE READ) so the waiter then sees the tags its predecessor committed.
 */
export async function migrate(db: PgDb): Promise<void> {
  await db.transaction(
    async (tx) => {
      await tx.execute(LOCK);
      await tx.execute(sql.raw('CREATE TABLE IF NOT EXISTS "__kee_migrations" ("tag" text PRIMARY KEY NOT NULL, "applied_at" text NOT NULL)'));
      const done = new Set((await tx.select({ tag: keeMigrations.tag }).from(keeMigrations)).map((r) => r.tag));
      for (const m of MIGRATIONS) {
        if (done.has(m.tag)) continue;
        for (const s of m.statements) await tx.execute(sql.raw(s));
        await tx.insert(keeMigrations).values({ tag: m.tag, appliedAt: new Date().toISOString() });
      }
    },
    { isolationLevel: 'read committed' },
  );
}
