import { Hono } from 'hono';
import { DomainError } from '../../kernel/errors.ts';
import type { Kernel } from '../../kernel/kernel.ts';
import { sessionHolder, withDpopChallenge } from '../agent-auth.ts';
import { toAuthorizationRequest } from '../authorize-request.ts';
import { readJson } from '../body.ts';
import { requireRole, type OperatorEnv } from '../operator-auth.ts';
import { queryParam } from '../query.ts';
import { refuseXpidClaim } from '../xpid-claim.ts';
import type { ToolResultReport } from '../../kernel/tool-results/tool-result.ts';
import { authorizeBatchBody, authorizeBody, MAX_BATCH_BYTES, MAX_TOOL_RESULT_BYTES, openSessionBody, SESSION_ID, toolResultBody } from '../schemas.ts';

/**
 * Sessions: open, authorize an action inside one, close into a signed Session Block; the open
 * ones listed for operators and auditors (`GET ?status=OPEN`, the console's Sessions page).
 */
export function sessionRoutes(kernel: Kernel): Hono<OperatorEnv> {
  const app = new Hono<OperatorEnv>();

  app.get('/', requireRole(kernel, 'operator', 'auditor'), async (c) => {
    const status = queryParam(c, 'status') ?? 'OPEN';
    if (status !== 'OPEN') throw new DomainError('INVALID_INPUT', `query parameter \`status\` must be \`OPEN\` (closed sessions are blocks: GET /v1/audit/log/entries), got \`${status.slice(0, 64)}\``);
    return c.json(await kernel.openSessions(), 200, { 'cache-control': 'no-store' });
  });

  app.post('/', (c) => {
    let assertion = false;
    return withDpopChallenge(
      c,
      async () => {
        const body = await readJson(c, openSessionBody);
        assertion = body.client_assertion !== undefined;
        refuseXpidClaim(body);
        const { session, token } = await kernel.openCallerSession(body.agent_id, body.client_assertion);
        const answer = { session_id: session.session_id, block_id: session.block_id, agent_id: session.agent_id };
        // RFC 9449 §5: a DPoP-bound access token, its type and lifetime
        return c.json(token ? { ...answer, session_token: token.token, token_type: 'DPoP', expires_in: token.expiresIn } : answer, 201);
      },
      () => assertion,
    );
  });

  app.post('/:session_id/authorize', (c) =>
    withDpopChallenge(c, async () => {
      const sessionId = checkedSessionId(c.req.param('session_id'));
      const holder = await sessionHolder(c, kernel, sessionId);
      const body = await readJson(c, authorizeBody);
      const result = await kernel.authorize(sessionId, toAuthorizationRequest(body), holder);
      return c.json(result, 200);
    }),
  );

  app.post('/:session_id/authorize/batch', (c) =>
    withDpopChallenge(c, async () => {
      const sessionId = checkedSessionId(c.req.param('session_id'));
      const holder = await sessionHolder(c, kernel, sessionId);
      const body = await readJson(c, authorizeBatchBody, MAX_BATCH_BYTES);
      const results = await kernel.authorizeBatch(sessionId, body.requests.map(toAuthorizationRequest), holder);
      return c.json({ results }, 200);
    }),
  );

  // what a permitted tool call answered (the MCP gateway with a remote kernel): digests, bodies if asked
  app.post('/:session_id/tool-results', (c) =>
    withDpopChallenge(c, async () => {
      const sessionId = checkedSessionId(c.req.param('session_id'));
      const holder = await sessionHolder(c, kernel, sessionId);
      const body = await readJson(c, toolResultBody, MAX_TOOL_RESULT_BYTES);
      return c.json(await kernel.recordToolResult(sessionId, body as ToolResultReport, holder), 201);
    }),
  );

  app.post('/:session_id/close', (c) =>
    withDpopChallenge(c, async () => {
      const sessionId = checkedSessionId(c.req.param('session_id'));
      const holder = await sessionHolder(c, kernel, sessionId);
      const block = await kernel.closeSession(sessionId, holder);
      // log_index is not part of the signed block (nor of its block-log leaf): an added answer field, as on GET …/blocks/{id}
      return c.json({ ...block, log_index: await kernel.blockLogIndex(block.block_id) }, 200);
    }),
  );

  return app;
}

function checkedSessionId(id: string): string {
  if (!SESSION_ID.test(id)) throw new DomainError('SESSION_NOT_FOUND', `no session \`${id.slice(0, 64)}\``);
  return id;
}
