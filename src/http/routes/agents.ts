import { Hono } from 'hono';
import type { Agent, Kernel } from '../../kernel/kernel.ts';
import type { AgentRegistration } from '../../kernel/agents/registry-entry.ts';
import { DomainError } from '../../kernel/errors.ts';
import { readJson } from '../body.ts';
import { queryParam } from '../query.ts';
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

  // keyset pagination by agent_id: `after` the last agent_id seen, `limit` per page; `next_after` while more follow
  app.get('/', readers, async (c) => {
    const limit = pageLimit(queryParam(c, 'limit'));
    const after = queryParam(c, 'after');
    if (after !== undefined && (after.length === 0 || [...after].length > 256)) throw new DomainError('INVALID_INPUT', 'query parameter `after` must be an agent_id (1 to 256 characters)');
    const all = await kernel.listAgents(); // sorted by agent_id
    const from = after === undefined ? 0 : firstAfter(all, after);
    const page = all.slice(from, from + limit);
    const more = from + limit < all.length;
    return c.json({ agents: page.map(view), ...(more ? { next_after: (page[page.length - 1] as Agent).agent_id } : {}) }, 200);
  });

  app.get('/:agent_id', readers, async (c) => c.json(view(await kernel.getAgent(c.req.param('agent_id'))), 200));

  app.patch('/:agent_id', writers, async (c) => {
    const body = await readJson(c, agentStatusBody);
    return c.json(view(await kernel.setAgentStatus(c.req.param('agent_id'), body.status, c.var.operator.subject)), 200);
  });

  app.post('/:agent_id/revoke', writers, async (c) => c.json(view(await kernel.revokeAgent(c.req.param('agent_id'), c.var.operator.subject)), 200));

  return app;
}

/** Agents per page of `GET /v1/agents`: `limit` 1 to MAX_PAGE, DEFAULT_PAGE when absent. */
export const DEFAULT_PAGE = 100;
export const MAX_PAGE = 1000;

function pageLimit(value: string | undefined): number {
  if (value === undefined) return DEFAULT_PAGE;
  if (!/^\d{1,4}$/.test(value) || Number(value) < 1 || Number(value) > MAX_PAGE) throw new DomainError('INVALID_INPUT', `query parameter \`limit\` must be an integer from 1 to ${MAX_PAGE}`);
  return Number(value);
}

/** Index of the first agent whose agent_id sorts after `after` (the list is sorted by agent_id, UTF-16 code units). */
function firstAfter(sorted: readonly Agent[], after: string): number {
  let lo = 0;
  let hi = sorted.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if ((sorted[mid] as Agent).agent_id <= after) lo = mid + 1;
    else hi = mid;
  }
  return lo;
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
