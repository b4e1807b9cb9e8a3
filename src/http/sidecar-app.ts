/**
 * The HTTP face of one FROST participant (`kee signer serve`, the L2 "TEE sidecar" role): it
 * holds exactly one share and answers round 1, round 2 and cancel for its coordinator only.
 *
 * - `GET /healthz`: identity (participant id, t, n, group key); public data, no authentication,
 *   so the coordinator can probe it cheaply.
 * - `POST /v1/frost/round1` `{session_id}` → `{commitments}`
 * - `POST /v1/frost/round2` `{session_id, message, ids, commitments}` → `{signature_share}`;
 *   a second round 2 for a session is refused (409 CONFLICT): its nonces were used once and erased.
 * - `POST /v1/frost/cancel` `{session_id}` → `{cancelled}`
 *
 * Every POST must carry the coordinator's signature (see `coordinator-auth.ts`), else 401. The
 * signing routes' work is `FrostSidecar` (sidecar-frost.ts); pass `opts.frost` to share its
 * session table with another front (the Node entry's direct `node:http` path).
 */
import { Hono, type Context } from 'hono';
import type { z } from 'zod';
import { type CoordinatorVerifier } from '../adapters/frost/coordinator-auth.ts';
import type { WasmFrostParticipant } from '../adapters/wasm/load.ts';
import { DomainError } from '../kernel/errors.ts';
import { MAX_BODY_BYTES, readBody } from './body.ts';
import { problem, toProblem } from './errors.ts';
import { authenticatedRequest, FROST_ROUTES, FrostSidecar } from './sidecar-frost.ts';

export function createSidecarApp(participant: WasmFrostParticipant, auth: CoordinatorVerifier, opts: { now?: () => number; frost?: FrostSidecar } = {}): Hono {
  const app = new Hono();
  const frost = opts.frost ?? new FrostSidecar(participant, auth, opts);

  app.get('/healthz', (c) => c.json(frost.identity));

  for (const route of FROST_ROUTES) {
    app.post(route, async (c) => {
      FrostSidecar.checkDeclaredLength(c.req.header('content-length'));
      const body = await readBody(c.req.raw, MAX_BODY_BYTES);
      return c.json(await frost.handle(route, { path: c.req.path, header: (n) => c.req.header(n), body }));
    });
  }

  app.notFound((c) => problem(c, new DomainError('NOT_FOUND', `no route for \`${c.req.method} ${new URL(c.req.url).pathname}\``)));
  app.onError((err, c) => toProblem(c, err));
  return app;
}

/** The Hono form of `authenticatedRequest`: reads the body, checks the coordinator's signature, validates it with `schema`. */
export async function authenticated<S extends z.ZodType>(c: Context, auth: CoordinatorVerifier, schema: S): Promise<z.infer<S>> {
  FrostSidecar.checkDeclaredLength(c.req.header('content-length'));
  const body = await readBody(c.req.raw, MAX_BODY_BYTES);
  return authenticatedRequest(auth, { path: c.req.path, header: (n) => c.req.header(n), body }, schema);
}
