/**
 * A FROST participant in another process (`kee signer serve`), reached over HTTP: loopback TCP,
 * or a Unix socket through an injected transport (the Node entry supplies one over `node:http`
 * `socketPath`). Every request is signed with the coordinator key (`coordinator-auth.ts`).
 * Web APIs only.
 */
import { DomainError } from '../../kernel/errors.ts';
import { fromHex, toHex } from '../../kernel/hex.ts';
import { identityAnswer, round1Answer, round2Answer, type SidecarIdentity } from './sidecar-wire.ts';
import { coordinatorHeaders, webCryptoEd25519, type Ed25519Provider, type RequestSigner } from './coordinator-auth.ts';
import type { Participant, Round2Request } from './participant.ts';

/** Sends one request; `fetch` by default. */
export type Transport = (request: Request) => Promise<Response>;

export type HttpParticipantOptions = {
  id: number;
  /** `http://127.0.0.1:7001` (a path prefix is kept), or any base URL the transport understands. */
  baseUrl: string;
  /** The coordinator's 32-byte Ed25519 seed. */
  coordinatorKey: Uint8Array;
  transport?: Transport;
  /** How requests are signed (WebCrypto by default; the Node entries pass `node:crypto`'s). */
  ed25519?: Ed25519Provider;
};

const utf8 = new TextEncoder();

export class HttpParticipant implements Participant {
  readonly id: number;
  private readonly base: string;
  private readonly sign: RequestSigner;
  private readonly send: Transport;

  constructor(opts: HttpParticipantOptions) {
    this.id = opts.id;
    this.base = opts.baseUrl.replace(/\/+$/, '');
    this.sign = (opts.ed25519 ?? webCryptoEd25519).signer(opts.coordinatorKey);
    this.send = opts.transport ?? ((r) => fetch(r));
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

  /** The sidecar's identity (`GET /healthz`), for health probes. */
  async identity(): Promise<SidecarIdentity> {
    const res = await this.send(new Request(`${this.base}/healthz`));
    return identityAnswer.parse(await this.answer(res));
  }

  private async post(path: string, value: unknown): Promise<unknown> {
    const body = utf8.encode(JSON.stringify(value));
    const pathname = new URL(`${this.base}${path}`).pathname;
    const headers = { 'content-type': 'application/json', ...(await coordinatorHeaders(this.sign, { method: 'POST', path: pathname, participant: this.id, body })) };
    const res = await this.send(new Request(`${this.base}${path}`, { method: 'POST', headers, body }));
    return this.answer(res);
  }

  private async answer(res: Response): Promise<unknown> {
    const text = await res.text();
    let json: unknown;
    try {
      json = JSON.parse(text);
    } catch {
      json = undefined;
    }
    if (res.ok) return json;
    const p = (json ?? {}) as { code?: unknown; detail?: unknown };
    const detail = typeof p.detail === 'string' ? p.detail : `HTTP ${res.status}`;
    throw new DomainError('SIGNER_FAILED', `participant ${this.id} refused: ${typeof p.code === 'string' ? `${p.code}: ` : ''}${detail}`, { cause: { status: res.status, code: p.code } });
  }
}
