import { Hono } from 'hono';
import type { Agent, Kernel } from '../../kernel/kernel.ts';
import type { AgentRegistration } from '../../kernel/agents/registry-entry.ts';
import { readJson } from '../body.ts';
import { requireRole, type OperatorEnv } from '../operator-auth.ts';
import { agentStatusBody, registerAgentBody } from '../schemas.ts';
import { refuseXpidClaim } from '../xpid-claim.ts';

/**
 * The agent registry (docs/identity.md): operators register, suspend, reactivate and revoke
 * agents; operators and auditors read it. Every route needs an operator bearer token.
 */
export function agentRoutes(kernel: Kernel): Hono<OperatorEnv> {
  const app = new Hono<OperatorEnv>();
  const readers = requireRole(kernel, 'operator', 'auditor');
  const writers = requireRole(kernel, 'operator');

  app.post('/', writers, async (c) => {
    const body = await readJson(c, registerAgentBody);
    refuseXpidClaim(body);
    const { xpid: _, ...registration } = body;
    // zod's JSON type is the kernel's Json; the keys' extra JWK members are dropped by the kernel
    const agent = await kernel.registerAgent(registration as AgentRegistration, c.var.operator.subject);
    return c.json({ agent_id: agent.agent_id, xpid: agent.xpid, status: agent.status, registry_entry_hash: agent.registry_entry_hash }, 201, { location: `/v1/agents/${encodeURIComponent(agent.agent_id)}` });
  });

  app.get('/', readers, async (c) => c.json({ agents: (await kernel.listAgents()).map(view) }, 200));

  app.get('/:agent_id', readers, async (c) => c.json(view(await kernel.getAgent(c.req.param('agent_id'))), 200));

  app.patch('/:agent_id', writers, async (c) => {
    const body = await readJson(c, agentStatusBody);
    return c.json(view(await kernel.setAgentStatus(c.req.param('agent_id'), body.status, c.var.operator.subject)), 200);
  });

  app.post('/:agent_id/revoke', writers, async (c) => c.json(view(await kernel.revokeAgent(c.req.param('agent_id'), c.var.operator.subject)), 200));

  return app;
}

/** An agent as answered: status and XPID beside the registry entry its hash is computed over. */
function view(a: Agent) {
  return {
    agent_id: a.agent_id,
    xpid: a.xpid,
    xpid_derivation_version: a.xpid_derivation_version,
    status: a.status,
    registry_entry_hash: a.registry_entry_hash,
    entry: a.entry,
    registered_by: a.registered_by,
    updated_at: a.updated_at,
  };
}
