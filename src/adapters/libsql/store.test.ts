import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createClient } from '@libsql/client';
import { describe, expect, it } from 'vitest';
import { runStorageContract } from '../../../test/contract/storage.case.ts';
import { agentRegistryRoundTrip } from '../../../test/support/agent-registry-scenario.ts';
import { isDomainError } from '../../kernel/errors.ts';
import { openLibsqlStore, PAGE_CACHE_KIB } from './open-libsql.ts';

const dir = mkdtempSync(join(tmpdir(), 'kee-libsql-'));
let n = 0;
const open = (file = `t${n++}.db`) => openLibsqlStore(createClient({ url: `file:${join(dir, file)}` }), { embedded: true });

runStorageContract('libsql (embedded file, WAL)', () => open());

describe('libsql store', () => {
  it('keeps the agent registry: CRUD, journal records, replayed by the next kernel', async () => {
    await agentRegistryRoundTrip(await open());
  }, 60_000);

  it('runs in WAL mode and applies migrations once', async () => {
    const client = createClient({ url: `file:${join(dir, 'wal.db')}` });
    await openLibsqlStore(client, { embedded: true });
    await openLibsqlStore(client, { embedded: true });
    expect((await client.execute('PRAGMA journal_mode')).rows[0]?.journal_mode).toBe('wal');
    expect((await client.execute('PRAGMA synchronous')).rows[0]?.synchronous).toBe(2); // FULL
    expect((await client.execute('PRAGMA cache_size')).rows[0]?.cache_size).toBe(-PAGE_CACHE_KIB);
    const tags = (await client.execute('SELECT tag FROM __kee_migrations ORDER BY tag')).rows.map((r) => r.tag);
    expect(tags).toEqual(['0000_init', '0001_block_log', '0002_documents', '0003_audit_chain_heads', '0004_block_signers', '0005_replay_ids']);
  });

  it('reports an unusable database as GAR_UNAVAILABLE', async () => {
    const client = createClient({ url: `file:${join(dir, 'closed.db')}` });
    const store = await openLibsqlStore(client, { embedded: true });
    client.close();
    const err = await store.getSession('x').catch((e: unknown) => e);
    expect(isDomainError(err, 'GAR_UNAVAILABLE')).toBe(true);
  });
});
