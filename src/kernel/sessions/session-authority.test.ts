/**
 * Appendix A step 4: a session's SESSION_OPEN names its authority and intake. Under
 * KEE_AUTH=none an unregistered agent's session says the intake was incomplete (the
 * authenticated, registered case is asserted in test/acd.test.ts under KEE_AUTH=agents).
 */
import { describe, expect, it } from 'vitest';
import { makeHarness } from '../../../test/support/harness.ts';

describe('session authority and intake', () => {
  it('an unauthenticated, unregistered opening is recorded as such: intake_result INCOMPLETE', async () => {
    const h = makeHarness();
    await h.started;
    const s = await h.kernel.openSession('nobody');
    const open = JSON.parse((await h.store.listRecords(s.session_id))[0]!.canonical);
    expect(open).toMatchObject({
      session_authority: { opened_by: 'nobody', authentication: 'NONE', registry_entry_hash: null, registered_by: null, roles: [], mandate_jti: null },
      intake_checks: { agent_authenticated: 'NOT_AUTHENTICATED', agent_registered: 'NOT_REGISTERED', agent_status: 'NOT_REGISTERED', agent_not_revoked: 'PASS', kernel_state: 'PASS' },
      intake_result: 'INCOMPLETE',
    });
    await h.kernel.shutdown();
  });
});
