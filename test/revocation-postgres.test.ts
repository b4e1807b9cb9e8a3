/**
 * P8 on PostgreSQL: registry entries (every kind) and SSF streams are stored as documents and
 * replayed by the next kernel on the same database. (libSQL: test/revocation-registry.test.ts.)
 */
import { describe, expect, it } from 'vitest';
import { makeHarness } from './support/harness.ts';
import { makeOperators } from './support/operators.ts';
import { usePostgres } from './support/postgres.ts';

// never skipped: a missing server fails with the reason
const pg = usePostgres();

describe('the revocation registry on PostgreSQL', () => {
  it('entries and SSF streams survive a restart', async () => {
    const url = await pg.database();
    const ops = await makeOperators();
    const boot = async () => {
      const store = (await pg.open(url)).store;
      const h = makeHarness({ store, deps: { operatorTokens: ops.verifier, options: { revocation: { tickMs: 0 } } } });
      await h.started;
      return h;
    };
    const op = await ops.bearer('operator');
    const first = await boot();
    for (const [kind, id] of [['MANDATE_JTI', 'jti-1'], ['XPID', 'xpid-1'], ['KIA_KEY', 'k-1'], ['GEC_MANIFEST', 'm-1'], ['GEC_CERT', 'c-1']]) {
      expect((await first.call('POST', '/v1/revocations', { kind, id, subject: { agent_id: `agent-${id}` } }, op)).status).toBe(201);
    }
    const stream = (await first.call('POST', '/ssf/streams', { delivery: { method: 'urn:ietf:rfc:8936' } }, op)).json;
    const before = (await first.call('GET', '/v1/revocations')).json.revocations;
    first.kernel.stop();

    const second = await boot();
    expect((await second.call('GET', '/v1/revocations')).json.revocations).toEqual(before);
    expect((await second.call('GET', '/ssf/streams', undefined, op)).json).toEqual([stream]);
    expect((await second.kernel.checkRevocation({ jti: 'jti-1' })).revoked).toMatchObject({ kind: 'MANDATE_JTI', id: 'jti-1', subject: { agent_id: 'agent-jti-1' } });
    second.kernel.stop();
  }, 120_000);
});
