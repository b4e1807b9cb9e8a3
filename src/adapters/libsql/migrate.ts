import { sql } from 'drizzle-orm';
import { MIGRATIONS } from './migrations/bundle.gen.ts';
import type { SqliteDb } from './store.ts';

/**
 * Applies the bundled drizzle-kit migrations that have not run yet, each in one batch together
 * with its bookkeeping row. Works on libSQL and D1 alike (no file system needed).
 */
export async function migrate(db: SqliteDb): Promise<void> {
  // the bookkeeping table and what it lists in one round trip (a Worker pays this on every cold
  // isolate; once every migration is applied, it is all there is)
  const [, applied] = (await db.batch([
    db.run(sql.raw('CREATE TABLE IF NOT EXISTS `__kee_migrations` (`tag` text PRIMARY KEY NOT NULL, `applied_at` text NOT NULL)')),
    db.all<{ tag: string }>(sql.raw('SELECT tag FROM `__kee_migrations`')),
  ])) as [unknown, { tag: string }[]];
  const done = new Set(applied.map((r) => r.tag));
  for (const m of MIGRATIONS) {
    if (done.has(m.tag)) continue;
    // Literal values, not bound parameters: D1's drizzle batch cannot bind raw statements.
    // INVARIANT: tags are drizzle-kit file names (`0000_init`), never user input.
    if (!/^[\w-]+$/.test(m.tag)) throw new Error(`migration tag \`${m.tag}\` is not a plain name`);
    await db.batch([
      ...m.statements.map((s) => db.run(sql.raw(s))),
      db.run(sql.raw(`INSERT INTO __kee_migrations (tag, applied_at) VALUES ('${m.tag}', '${new Date().toISOString()}')`)),
    ]);
  }
}
