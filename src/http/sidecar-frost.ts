/**
 * What a FROST sidecar does for its three signing routes, apart from HTTP framing: checks the
 * coordinator's signature over the request, validates the body, runs the participant's round
 * and returns the JSON answer (or throws a DomainError). `createSidecarApp` serves it through
 * Hono; `kee signer serve` also calls it straight from `node:http` for these three routes
 * (src/entry/sidecar-listener.ts), so both share one session table and the same checks.
 *
 * Nonces of a session left open longer than SESSION_TTL_MS (the coordinator went away between
 * the rounds) are dropped, so abandoned sessions cannot fill the participant's 64 open slots.
 */
import type { z } from 'zod';
import type { CoordinatorVerifier } from '../adapters/frost/coordinator-auth.ts';
import type { WasmFrostFailure, WasmFrostParticipant, WasmFrostResult } from '../adapters/wasm/load.ts';
import { parsePublicPackage } from '../adapters/frost/public-package.ts';
import { cancelBody, round1Body, round2Body, type SidecarIdentity } from '../adapters/frost/sidecar-wire.ts';
import { DomainError } from '../kernel/errors.ts';
import { fromHex, toHex } from '../kernel/hex.ts';
import { MAX_BODY_BYTES, parseStrictJson } from './body.ts';

/** Round-1 nonces a coordinator abandoned (it crashed between the rounds) are dropped after this. */
export const SESSION_TTL_MS = 60_000;

export const FROST_ROUTES = ['/v1/frost/round1', '/v1/frost/round2', '/v1/frost/cancel'] as const;
export type FrostRoute = (typeof FROST_ROUTES)[number];

/** One POST to a signing route, as plain data. `header` takes lowercase names. */
export type FrostRequest = { path: string; header: (name: string) => string | undefined; body: Uint8Array };

const bytes = (hex: string) => fromHex(hex) ?? new Uint8Array(0);

export class FrostSidecar {
  readonly identity: SidecarIdentity;
  private readonly participant: WasmFrostParticipant;
  private readonly auth: CoordinatorVerifier;
  private readonly now: () => number;
  /** Open sessions by hex id, with their round-1 time: the WASM participant holds at most 64. */
  private readonly open = new Map<string, number>();

  constructor(participant: WasmFrostParticipant, auth: CoordinatorVerifier, opts: { now?: () => number } = {}) {
    this.participant = participant;
    this.auth = auth;
    this.now = opts.now ?? Date.now;
    const pub = parsePublicPackage(participant.publicPackage());
    this.identity = { status: 'ok', participant: participant.identifier, threshold: pub.threshold, participants: pub.verifyingShares.size, group_key: toHex(pub.groupKey) };
  }

  static isRoute(path: string): path is FrostRoute {
    return (FROST_ROUTES as readonly string[]).includes(path);
  }

  /** 413 when the declared body length is over the limit: checked before the body is read. */
  static checkDeclaredLength(contentLength: string | undefined): void {
    if (Number(contentLength ?? '0') > MAX_BODY_BYTES) throw tooLarge();
  }

  /** Answers one POST to `route` (authenticated, validated); throws a DomainError otherwise. */
  async handle(route: FrostRoute, req: FrostRequest): Promise<Record<string, unknown>> {
    const id = this.participant.identifier;
    switch (route) {
      case '/v1/frost/round1': {
        const body = await this.authenticated(req, round1Body);
        this.sweep();
        const commitments = value(this.participant.round1(bytes(body.session_id)), `participant ${id} round 1`);
        this.open.set(body.session_id, this.now());
        return { commitments: toHex(commitments) };
      }
      case '/v1/frost/round2': {
        const body = await this.authenticated(req, round2Body);
        this.open.delete(body.session_id);
        const r = this.participant.round2(bytes(body.session_id), bytes(body.message), Uint16Array.from(body.ids), bytes(body.commitments));
        return { signature_share: toHex(value(r, `participant ${id} round 2`)) };
      }
      case '/v1/frost/cancel': {
        const body = await this.authenticated(req, cancelBody);
        this.open.delete(body.session_id);
        return { cancelled: this.participant.cancel(bytes(body.session_id)) };
      }
    }
  }

  private sweep(): void {
    for (const [sid, at] of this.open) {
      if (this.now() - at <= SESSION_TTL_MS) continue;
      this.participant.cancel(bytes(sid));
      this.open.delete(sid);
    }
  }

  private authenticated<S extends z.ZodType>(req: FrostRequest, schema: S): Promise<z.infer<S>> {
    return authenticatedRequest(this.auth, req, schema);
  }
}

/** Checks the coordinator's signature over the body, then validates it with `schema`. */
export async function authenticatedRequest<S extends z.ZodType>(auth: CoordinatorVerifier, req: FrostRequest, schema: S): Promise<z.infer<S>> {
  FrostSidecar.checkDeclaredLength(req.header('content-length'));
  if (req.body.length > MAX_BODY_BYTES) throw tooLarge();
  await auth.verify({ method: 'POST', path: req.path, headers: req.header, body: req.body });
  if (!/^application\/json\b/i.test(req.header('content-type') ?? '')) throw new DomainError('UNSUPPORTED_MEDIA_TYPE', 'request body must be `application/json`');
  const json = parseStrictJson(req.body);
  const parsed = schema.safeParse(json);
  if (!parsed.success) {
    const issues = parsed.error.issues.map((i) => `\`${i.path.join('.') || '(body)'}\` ${i.message.toLowerCase()}`);
    throw new DomainError('INVALID_INPUT', `invalid request body: ${issues.join('; ')}`);
  }
  return parsed.data;
}

const tooLarge = () => new DomainError('PAYLOAD_TOO_LARGE', `request body exceeds ${MAX_BODY_BYTES} bytes`);

/** The value of a WASM result; a nonce reuse is a 409 CONFLICT, bad input 400, anything else 503. */
function value<T>(r: WasmFrostResult<T>, what: string): T {
  if (r.type === 'success') return r.value;
  throw sidecarError(r, what);
}

function sidecarError(f: WasmFrostFailure, what: string): DomainError {
  const code = f.error.code === 'NONCE_REUSE' ? 'CONFLICT' : f.error.code === 'INVALID_INPUT' ? 'INVALID_INPUT' : 'SIGNER_FAILED';
  return new DomainError(code, `${what}: ${f.error.message}`, { cause: f.error });
}
