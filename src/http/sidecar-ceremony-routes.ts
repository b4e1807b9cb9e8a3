/**
 * The ceremony face of a FROST sidecar (`kee signer serve --ceremony`), and the host that puts it
 * in front of the signing routes of `sidecar-app.ts`:
 *
 * - `POST /v1/frost/ceremony/part1|part2|part3|commit|abort`: one participant's side of a DKG,
 *   refresh or repair (`ceremony-participant.ts`), signed by the coordinator like every sidecar
 *   POST (else 401).
 * - `GET /healthz`: the signing identity once a key is held, else
 *   `{"status":"awaiting_key","participant":<id>}` (and the open ceremony, if any).
 * - The signing routes answer `503 UNAVAILABLE` until the participant holds a key; a committed
 *   ceremony swaps in the new key without a restart.
 * - `POST /v1/attestation` `{nonce}` (coordinator-signed): TEE evidence binding the nonce and the
 *   sidecar's identity key (`adapters/tee/attestor.ts`), whether or not a key is held yet; 404
 *   when the sidecar serves without `--attest`.
 */
import { Hono } from 'hono';
import type { CeremonyParticipant } from '../adapters/frost/ceremony-participant.ts';
import { abortBody, commitBody, part1Body, part2Body, part3Body } from '../adapters/frost/ceremony-wire.ts';
import { attestationBody } from '../adapters/frost/sidecar-wire.ts';
import type { SidecarAttestor } from '../adapters/tee/attestor.ts';
import { fromHex } from '../kernel/hex.ts';
import type { CoordinatorVerifier } from '../adapters/frost/coordinator-auth.ts';
import type { WasmFrostParticipant } from '../adapters/wasm/load.ts';
import { DomainError } from '../kernel/errors.ts';
import { problem, toProblem } from './errors.ts';
import { authenticated, createSidecarApp } from './sidecar-app.ts';
import { FrostSidecar } from './sidecar-frost.ts';

export const CEREMONY_PREFIX = '/v1/frost/ceremony';
export const ATTESTATION_PATH = '/v1/attestation';

/** The ceremony routes alone, under `/v1/frost/ceremony`. */
export function createCeremonyRoutes(ceremony: CeremonyParticipant, auth: CoordinatorVerifier): Hono {
  const app = new Hono();
  app.post(`${CEREMONY_PREFIX}/part1`, async (c) => c.json(await ceremony.part1(await authenticated(c, auth, part1Body))));
  app.post(`${CEREMONY_PREFIX}/part2`, async (c) => c.json(await ceremony.part2(await authenticated(c, auth, part2Body))));
  app.post(`${CEREMONY_PREFIX}/part3`, async (c) => c.json(await ceremony.part3(await authenticated(c, auth, part3Body))));
  app.post(`${CEREMONY_PREFIX}/commit`, async (c) => c.json(await ceremony.commit(await authenticated(c, auth, commitBody))));
  app.post(`${CEREMONY_PREFIX}/abort`, async (c) => c.json(ceremony.abort(await authenticated(c, auth, abortBody))));
  app.onError((err, c) => toProblem(c, err));
  return app;
}

export type SidecarHost = {
  app: Hono;
  /** The key served with, if any. */
  current(): WasmFrostParticipant | null;
  /** The signing routes' handler over the current key, if any (for a direct `node:http` front). */
  frost(): FrostSidecar | null;
  /** Serves with `handle` from now on (the previous one is freed). */
  install(handle: WasmFrostParticipant): void;
};

/**
 * One sidecar process: signing routes over the current key (none yet: 503), ceremony routes when
 * `ceremony` is given. One verifier for both, so a request nonce is never accepted twice.
 */
export function createSidecarHost(opts: { id: number; auth: CoordinatorVerifier; participant: WasmFrostParticipant | null; ceremony?: CeremonyParticipant; attestor?: SidecarAttestor }): SidecarHost {
  let handle = opts.participant;
  let frost = handle ? new FrostSidecar(handle, opts.auth) : null;
  let signing = handle && frost ? createSidecarApp(handle, opts.auth, { frost }) : null;
  const ceremonyRoutes = opts.ceremony ? createCeremonyRoutes(opts.ceremony, opts.auth) : null;
  const app = new Hono();
  const attestor = opts.attestor;
  if (attestor) {
    app.post(ATTESTATION_PATH, async (c) => {
      const body = await authenticated(c, opts.auth, attestationBody);
      return c.json(await attestor.attest(fromHex(body.nonce) as Uint8Array));
    });
  }
  app.all('*', async (c) => {
    const path = new URL(c.req.url).pathname;
    if (ceremonyRoutes && path.startsWith(`${CEREMONY_PREFIX}/`)) return ceremonyRoutes.fetch(c.req.raw);
    if (signing) return signing.fetch(c.req.raw);
    if (path === '/healthz' && c.req.method === 'GET') return c.json({ status: 'awaiting_key', participant: opts.id, ...(opts.ceremony?.openCeremony ? { ceremony: opts.ceremony.openCeremony } : {}) });
    if (path.startsWith('/v1/frost/')) return problem(c, new DomainError('UNAVAILABLE', `participant ${opts.id} holds no key yet: it awaits a key ceremony`));
    return problem(c, new DomainError('NOT_FOUND', `no route for \`${c.req.method} ${path}\``));
  });
  app.onError((err, c) => toProblem(c, err));
  return {
    app,
    current: () => handle,
    frost: () => frost,
    install: (next) => {
      const before = handle;
      handle = next;
      frost = new FrostSidecar(next, opts.auth);
      signing = createSidecarApp(next, opts.auth, { frost });
      before?.free();
    },
  };
}
