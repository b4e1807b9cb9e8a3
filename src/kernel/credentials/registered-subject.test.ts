/** A registered agent's credentials name the XPID the registry derived for it, not the provisional one. */
import { decodeJwt } from 'jose';
import { describe, expect, it } from 'vitest';
import { agentRead, makeHarness } from '../../../test/support/harness.ts';
import { agentKey, makeOperators } from '../../../test/support/operators.ts';
import { sessionAgentXpid } from './agent-xpid.ts';

describe('credential subject', () => {
  it('is the registry XPID for a registered session agent, the provisional XPID otherwise', async () => {
    const ops = await makeOperators();
    const h = makeHarness({ deps: { operatorTokens: ops.verifier } });
    await h.started;
    const reg = await h.call('POST', '/v1/agents', { agent_id: 'agent-1', public_keys: [await agentKey()] }, await ops.bearer('operator'));
    expect(reg.status, reg.text).toBe(201);
    const subjectOf = async (agent: string) => {
      const { json: s } = await h.call('POST', '/v1/sessions', { agent_id: agent });
      const d = await h.call('POST', `/v1/sessions/${s.session_id}/authorize`, agentRead(agent));
      expect(d.json.decision).toBe('PERMIT');
      return decodeJwt(d.json.credential).sub;
    };
    expect(await subjectOf('agent-1')).toBe(reg.json.xpid);
    const provisional = sessionAgentXpid(h.kernel['deps'].xpid, (b) => h.merkle.sha256(b), h.kernel.kernelId, 'agent-2');
    expect(await subjectOf('agent-2')).toBe(provisional);
    expect(provisional).not.toBe(reg.json.xpid);
  });
});
