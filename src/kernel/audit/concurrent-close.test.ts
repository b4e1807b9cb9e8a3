/**
 * Without group commit (workerd: requests share no promises) concurrent closes race for the next
 * block-log index; every loser must retry until it has an index of its own, however many race.
 */
import { describe, expect, it } from 'vitest';
import { agentRead, makeHarness } from '../../../test/support/harness.ts';

describe('concurrent closes without group commit', () => {
  it('each of 24 sessions closed at once gets its block and a log index of its own, with no gap', async () => {
    const h = makeHarness({ deps: { options: { groupCommit: false } } });
    const sessions: string[] = [];
    for (let i = 0; i < 24; i++) {
      const { json: s } = await h.call('POST', '/v1/sessions', { agent_id: `a${i}` });
      expect((await h.call('POST', `/v1/sessions/${s.session_id}/authorize`, agentRead(`a${i}`))).status).toBe(200);
      sessions.push(s.session_id);
    }
    const closed = await Promise.all(sessions.map((id) => h.call('POST', `/v1/sessions/${id}/close`)));
    expect(closed.map((c) => c.status)).toEqual(sessions.map(() => 200));
    const indices = closed.map((c) => c.json.log_index as number).sort((a, b) => a - b);
    expect(new Set(indices).size).toBe(24);
    expect(indices[23]! - indices[0]!).toBe(23);
    for (const c of closed) expect((await h.call('GET', `/v1/audit/blocks/${c.json.block_id}`)).status).toBe(200);
  });
});
