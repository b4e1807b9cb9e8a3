/**
 * A FROST participant in another process (`kee signer serve`), reached over HTTP: loopback TCP,
 * or a Unix socket through an injected transport (the Node entry supplies one over `node:http`
 * `socketPath`). Every request is signed with the coordinator key (`coordinator-auth.ts`).
 * Web APIs only.
 *
 * Requests go through an `Exchange` (method, path, headers, bytes in; status and bytes out): a
 * Node entry supplies one straight over `node:http` (src/entry/unix-transport.ts), without the
 * Request and Response objects a fetch-like `Transport` builds and reads on each of the 2t
 * requests of a signature; otherwise the `Transport` (`fetch` by default) is used.
 */
import { DomainError } from '../../kernel/errors.ts';
import { fromHex, toHex } from '../../kernel/hex.ts';
import { identityAnswer, round1Answer, round2Answer, type SidecarIdentity } from './sidecar-wire.ts';
import { coordinatorHeaders, webCryptoEd25519, type Ed25519Provider, type RequestSigner } from './coordinator-auth.ts';
import type { Participant, Round2Request } from './participant.ts';

/** Sends one request; `fetch` by default. */
export type Transport = (request: Request) => Promise<Response>;

/** One request as plain data: `url` is absolute, `path` its path (what the signature covers). */
export type ExchangeRequest = { method: 'GET' | 'POST'; url: string; path: string; headers: Record<string, string>; body?: Uint8Array };
/** Sends one request and resolves with the answer's status and body (a network failure rejects). */
export type Exchange = (request: ExchangeRequest) => Promise<{ status: number; body: Uint8Array }>;

/** An Exchange over a fetch-like transport. */
export function exchangeOver(transport: Transport): Exchange {
  return async (r) => {
    const res = await transport(new Request(r.url, { method: r.method, headers: r.headers, ...(r.body ? { body: r.body as Uint8Array<ArrayBuffer> } : {}) }));
    return { status: res.status, body: new Uint8Array(await res.arrayBuffer()) };
  };
}

export type HttpParticipantOptions = {
  id: number;
  /** `http://127.0.0.1:7001` (a path prefix is kept), or any base URL the transport understands. */
  baseUrl: string;
  /** The coordinator's 32-byte Ed25519 seed. */
  coordinatorKey: Uint8Array;
  transport?: Transport;
  /** Sends requests as plain data (takes precedence over `transport`). */
  exchange?: Exchange;
  /** How requests are signed (WebCrypto by default; the Node entries pass `node:crypto`'s). */
  ed25519?: Ed25519Provider;
};

const utf8 = new TextEncoder();
const decoder = new TextDecoder();

export class HttpParticipant implements Participant {
  readonly id: number;
  private readonly base: string;
  /** The base URL's path ('' at the root): request paths are signed with it. */
  private readonly basePath: string;
  private readonly sign: RequestSigner;
  private readonly send: Exchange;

  constructor(opts: HttpParticipantOptions) {
    this.id = opts.id;
    this.base = opts.baseUrl.replace(/\/+$/, '');
    this.basePath = new URL(this.base).pathname.replace(/\/+$/, '');
    this.sign = (opts.ed25519 ?? webCryptoEd25519).signer(opts.coordinatorKey);
    this.send = opts.exchange ?? exchangeOver(opts.transport ?? ((r) => fetch(r)));
  }

  async round1(sessionId: Uint8Array): Promise<Uint8Array> {
    const answer = round1Answer.parse(await this.post('/v1/frost/round1', { session_id: toHex(sessionId) }));
    return fromHex(answer.commitments) as Uint8Array;
  }

  async round2(r: Round2Request): Promise<Uint8Array> {
    const body = { session_id: toHex(r.sessionId), message: toHex(r.message), ids: [...r.ids], commitments: toHex(r.commitments) };
    const answer = round2Answer.parse(await this.post('/v1/frost/round2', body));
    return fromHex(answer.signature_share) as Uint8Array;
  }

  async cancel(sessionId: Uint8Array): Promise<void> {
    await this.post('/v1/frost/cancel', { session_id: toHex(sessionId) });
  }

  async health(groupKey: Uint8Array): Promise<void> {
    const who = await this.identity();
    if (who.participant !== this.id) throw new DomainError('SIGNER_FAILED', `the sidecar at ${this.base} is participant ${who.participant}, expected ${this.id}`);
    if (who.group_key !== toHex(groupKey)) throw new DomainError('SIGNER_FAILED', `participant ${this.id} at ${this.base} holds a share of group key ${who.group_key}, not ${toHex(groupKey)}`);
  }

  /** TEE evidence for `nonce` (`POST /v1/attestation`, issue 21): the raw answer, verified by the caller. */
  async attest(nonce: Uint8Array): Promise<unknown> {
    return this.post('/v1/attestation', { nonce: toHex(nonce) });
  }

  /** The sidecar's identity (`GET /healthz`), for health probes. */
  async identity(): Promise<SidecarIdentity> {
    const res = await this.send({ method: 'GET', url: `${this.base}/healthz`, path: `${this.basePath}/healthz`, headers: {} });
    return identityAnswer.parse(this.answer(res));
  }

  private async post(path: string, value: unknown): Promise<unknown> {
    const body = utf8.encode(JSON.stringify(value));
    const url = `${this.base}${path}`;
    const pathname = `${this.basePath}${path}`;
    const headers = { 'content-type': 'application/json', ...(await coordinatorHeaders(this.sign, { method: 'POST', path: pathname, participant: this.id, body })) };
    return this.answer(await this.send({ method: 'POST', url, path: pathname, headers, body }));
  }

  private answer(res: { status: number; body: Uint8Array }): unknown {
    let json: unknown;
    try {
      json = JSON.parse(decoder.decode(res.body));
    } catch {
      json = undefined;
    }
    if (res.status >= 200 && res.status < 300) return json;
    const p = (json ?? {}) as { code?: unknown; detail?: unknown };
    const detail = typeof p.detail === 'string' ? p.detail : `HTTP ${res.status}`;
    throw new DomainError('SIGNER_FAILED', `participant ${this.id} refused: ${typeof p.code === 'string' ? `${p.code}: ` : ''}${detail}`, { cause: { status: res.status, code: p.code } });
  }
}
