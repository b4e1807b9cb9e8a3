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
 * Every POST must carry the coordinator's signature (see `coordinator-auth.ts`), else 401.
 * Nonces of a session left open longer than SESSION_TTL_MS (the coordinator went away between
 * the rounds) are dropped, so abandoned sessions cannot fill the participant's 64 open slots.
 */
import { Hono, type Context } from 'hono';
import type { z } from 'zod';
import { type CoordinatorVerifier } from '../adapters/frost/coordinator-auth.ts';
import type { WasmFrostFailure, WasmFrostParticipant, WasmFrostResult } from '../adapters/wasm/load.ts';
import { parsePublicPackage } from '../adapters/frost/public-package.ts';
import { DomainError } from '../kernel/errors.ts';
import { fromHex, toHex } from '../kernel/hex.ts';
import { MAX_BODY_BYTES } from './body.ts';
import { problem, toProblem } from './errors.ts';
import { cancelBody, round1Body, round2Body, type SidecarIdentity } from '../adapters/frost/sidecar-wire.ts';

/** Round-1 nonces a coordinator abandoned (it crashed between the rounds) are dropped after this. */
export const SESSION_TTL_MS = 60_000;

export function createSidecarApp(participant: WasmFrostParticipant, auth: CoordinatorVerifier, opts: { now?: () => number } = {}): Hono {
  const app = new Hono();
  const now = opts.now ?? Date.now;
  // open sessions by hex id, with their round-1 time: the WASM participant holds at most 64
  const open = new Map<string, number>();
  const sweep = () => {
    for (const [sid, at] of open) {
      if (now() - at <= SESSION_TTL_MS) continue;
      participant.cancel(bytes(sid));
      open.delete(sid);
    }
  };
  const pub = parsePublicPackage(participant.publicPackage());
  const identity: SidecarIdentity = {
    status: 'ok',
    participant: participant.identifier,
    threshold: pub.threshold,
    participants: pub.verifyingShares.size,
    group_key: toHex(pub.groupKey),
  };
  const id = participant.identifier;

  app.get('/healthz', (c) => c.json(identity));

  app.post('/v1/frost/round1', async (c) => {
    const body = await authenticated(c, auth, round1Body);
    sweep();
    const commitments = value(participant.round1(bytes(body.session_id)), `participant ${id} round 1`);
    open.set(body.session_id, now());
    return c.json({ commitments: toHex(commitments) });
  });

  app.post('/v1/frost/round2', async (c) => {
    const body = await authenticated(c, auth, round2Body);
    open.delete(body.session_id);
    const r = participant.round2(bytes(body.session_id), bytes(body.message), Uint16Array.from(body.ids), bytes(body.commitments));
    return c.json({ signature_share: toHex(value(r, `participant ${id} round 2`)) });
  });

  app.post('/v1/frost/cancel', async (c) => {
    const body = await authenticated(c, auth, cancelBody);
    open.delete(body.session_id);
    return c.json({ cancelled: participant.cancel(bytes(body.session_id)) });
  });

  app.notFound((c) => problem(c, new DomainError('NOT_FOUND', `no route for \`${c.req.method} ${new URL(c.req.url).pathname}\``)));
  app.onError((err, c) => toProblem(c, err));
  return app;
}

const bytes = (hex: string) => fromHex(hex) ?? new Uint8Array(0);

/** Reads the body, checks the coordinator's signature over it, then validates it with `schema`. */
export async function authenticated<S extends z.ZodType>(c: Context, auth: CoordinatorVerifier, schema: S): Promise<z.infer<S>> {
  const declared = Number(c.req.header('content-length') ?? '0');
  if (declared > MAX_BODY_BYTES) throw new DomainError('PAYLOAD_TOO_LARGE', `request body exceeds ${MAX_BODY_BYTES} bytes`);
  const body = new Uint8Array(await c.req.arrayBuffer());
  if (body.length > MAX_BODY_BYTES) throw new DomainError('PAYLOAD_TOO_LARGE', `request body exceeds ${MAX_BODY_BYTES} bytes`);
  await auth.verify({ method: c.req.method, path: new URL(c.req.url).pathname, headers: (n) => c.req.header(n), body });
  if (!/^application\/json\b/i.test(c.req.header('content-type') ?? '')) throw new DomainError('UNSUPPORTED_MEDIA_TYPE', 'request body must be `application/json`');
  let json: unknown;
  try {
    json = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(body));
  } catch {
    throw new DomainError('MALFORMED_JSON', 'request body is not valid JSON');
  }
  const parsed = schema.safeParse(json);
  if (!parsed.success) {
    const issues = parsed.error.issues.map((i) => `\`${i.path.join('.') || '(body)'}\` ${i.message.toLowerCase()}`);
    throw new DomainError('INVALID_INPUT', `invalid request body: ${issues.join('; ')}`);
  }
  return parsed.data;
}

/** The value of a WASM result; a nonce reuse is a 409 CONFLICT, bad input 400, anything else 503. */
function value<T>(r: WasmFrostResult<T>, what: string): T {
  if (r.type === 'success') return r.value;
  throw sidecarError(r, what);
}

function sidecarError(f: WasmFrostFailure, what: string): DomainError {
  const code = f.error.code === 'NONCE_REUSE' ? 'CONFLICT' : f.error.code === 'INVALID_INPUT' ? 'INVALID_INPUT' : 'SIGNER_FAILED';
  return new DomainError(code, `${what}: ${f.error.message}`, { cause: f.error });
}
