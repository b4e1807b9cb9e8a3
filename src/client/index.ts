/**
 * `kee/client`: an agent's side of Kee under KEE_AUTH=agents (docs/identity.md "Agent
 * authentication"): opens a session with a client assertion signed by the agent's Ed25519 key,
 * and proves that key with a DPoP proof on every authorize and close. Web APIs and `jose` only.
 *
 * @example
 * const agent = await KeeAgent.fromPrivateJwk({ kernelUrl: 'http://localhost:8787', agentId: 'dispatcher-7', privateJwk });
 * const session = await agent.openSession();
 * const d = await session.authorize({ principal: { type: 'Agent', id: 'dispatcher-7' }, action: { type: 'Action', id: 'read' }, resource: { type: 'Dataset', id: 'd' }, context: {} });
 * await session.close();
 */
import { base64url, calculateJwkThumbprint, importJWK, SignJWT, type JWK } from 'jose';

/** An Ed25519 private key as a JWK (RFC 8037: `kty` OKP, `crv` Ed25519, `x`, `d`). */
export type AgentPrivateJwk = { kty: 'OKP'; crv: 'Ed25519'; x: string; d: string };

/** A refused call: the kernel's problem+json `code`, its HTTP status and `detail`. */
export class KeeError extends Error {
  readonly code: string;
  readonly status: number;
  constructor(status: number, code: string, detail: string) {
    super(`${code}: ${detail}`);
    this.name = 'KeeError';
    this.status = status;
    this.code = code;
  }
}

type Options = { kernelUrl: string; agentId: string; privateJwk: AgentPrivateJwk; fetch?: typeof fetch };

export class KeeAgent {
  private readonly base: string;
  private readonly fetcher: typeof fetch;
  private readonly publicJwk: JWK;
  private readonly options: Options;
  private readonly key: CryptoKey | Uint8Array;
  /** RFC 7638 thumbprint of the agent key: the `cnf.jkt` of its session tokens and credentials. */
  readonly jkt: string;

  private constructor(options: Options, key: CryptoKey | Uint8Array, jkt: string) {
    this.options = options;
    this.key = key;
    this.jkt = jkt;
    this.base = options.kernelUrl.replace(/\/+$/, '');
    this.fetcher = options.fetch ?? ((input, init) => fetch(input, init));
    this.publicJwk = { kty: 'OKP', crv: 'Ed25519', x: options.privateJwk.x };
  }

  static async fromPrivateJwk(options: Options): Promise<KeeAgent> {
    const { kty, crv, x, d } = options.privateJwk;
    if (kty !== 'OKP' || crv !== 'Ed25519' || typeof x !== 'string' || typeof d !== 'string') throw new Error('the agent key must be an Ed25519 private JWK (kty OKP, crv Ed25519, x, d)');
    const key = await importJWK({ kty, crv, x, d }, 'EdDSA');
    return new KeeAgent(options, key, await calculateJwkThumbprint({ kty, crv, x }, 'sha256'));
  }

  /** The kernel's origin (`kee.local/<kernel key id>`): the `aud` of client assertions. */
  async kernelOrigin(): Promise<string> {
    const res = await this.fetcher(`${this.base}/v1/kernel/public-key`);
    const body = (await res.json()) as { key_id?: string };
    if (!res.ok || typeof body.key_id !== 'string') throw new KeeError(res.status, 'UNAVAILABLE', 'cannot read the kernel key id');
    return `kee.local/${body.key_id}`;
  }

  /** A client assertion (60 s at most; here 30 s) for `audience`. */
  async assertion(audience: string): Promise<string> {
    const id = this.options.agentId;
    const iat = Math.floor(Date.now() / 1000);
    return new SignJWT({ jti: crypto.randomUUID() }).setProtectedHeader({ alg: 'EdDSA', typ: 'JWT' }).setIssuer(id).setSubject(id).setAudience(audience).setIssuedAt(iat).setExpirationTime(iat + 30).sign(this.key);
  }

  /** Opens a session (the audience defaults to the kernel's origin, read from the kernel). */
  async openSession(audience?: string): Promise<KeeSession> {
    const client_assertion = await this.assertion(audience ?? (await this.kernelOrigin()));
    const body = await this.call('POST', '/v1/sessions', { agent_id: this.options.agentId, client_assertion, client_assertion_type: 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer' });
    return new KeeSession(this, body.session_id as string, body.block_id as string, body.session_token as string);
  }

  /** A DPoP proof (RFC 9449) of this key for `method` `url`, bound to `token`. */
  async proof(method: string, url: string, token: string): Promise<string> {
    const ath = base64url.encode(new Uint8Array(await crypto.subtle.digest('SHA-256', new TextEncoder().encode(token))));
    return new SignJWT({ htm: method, htu: url, ath, jti: crypto.randomUUID() }).setProtectedHeader({ alg: 'EdDSA', typ: 'dpop+jwt', jwk: this.publicJwk }).setIssuedAt().sign(this.key);
  }

  /**
   * Revokes a credential this agent holds (RFC 7009, `POST /v1/credentials/revoke`), proving the
   * key of its `cnf.jkt`: `Authorization: DPoP <credential>` and a DPoP proof over it.
   */
  async revokeCredential(credential: string): Promise<void> {
    await this.call('POST', '/v1/credentials/revoke', { token: credential }, credential);
  }

  /** @internal a JSON call; a refusal throws KeeError */
  async call(method: string, path: string, body?: unknown, token?: string): Promise<Record<string, unknown>> {
    const url = `${this.base}${path}`;
    const headers: Record<string, string> = body === undefined ? {} : { 'content-type': 'application/json' };
    if (token) Object.assign(headers, { authorization: `DPoP ${token}`, dpop: await this.proof(method, url, token) });
    const res = await this.fetcher(url, { method, headers, ...(body === undefined ? {} : { body: JSON.stringify(body) }) });
    const answer = (await res.json().catch(() => ({}))) as Record<string, unknown>;
    if (!res.ok) throw new KeeError(res.status, String(answer.code ?? 'HTTP_ERROR'), String(answer.detail ?? res.statusText));
    return answer;
  }
}

/** An authenticated session: every call carries the session token and a fresh DPoP proof. */
export class KeeSession {
  private readonly agent: KeeAgent;
  readonly sessionId: string;
  readonly blockId: string;
  /** The session token (`Authorization: DPoP <token>`). */
  readonly token: string;

  constructor(agent: KeeAgent, sessionId: string, blockId: string, token: string) {
    this.agent = agent;
    this.sessionId = sessionId;
    this.blockId = blockId;
    this.token = token;
  }

  authorize(request: Record<string, unknown>): Promise<Record<string, unknown>> {
    return this.agent.call('POST', `/v1/sessions/${this.sessionId}/authorize`, request, this.token);
  }

  async authorizeBatch(requests: Record<string, unknown>[]): Promise<Record<string, unknown>[]> {
    return (await this.agent.call('POST', `/v1/sessions/${this.sessionId}/authorize/batch`, { requests }, this.token)).results as Record<string, unknown>[];
  }

  /**
   * Records what a permitted tool call answered (TOOL_RESULT): `report.decision_seq` names the
   * PERMIT it follows; digests, and bodies only if given (docs/mcp.md). Answers `{ ale_seq }`.
   */
  recordToolResult(report: Record<string, unknown>): Promise<Record<string, unknown>> {
    return this.agent.call('POST', `/v1/sessions/${this.sessionId}/tool-results`, report, this.token);
  }

  /** Closes the session into its signed Session Block (answered). */
  close(): Promise<Record<string, unknown>> {
    return this.agent.call('POST', `/v1/sessions/${this.sessionId}/close`, undefined, this.token);
  }
}
