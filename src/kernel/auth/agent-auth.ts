/**
 * Agent authentication (issue 14, docs/identity.md "Agent authentication"):
 *
 * - a session opens with a client assertion (RFC 7523 style): a JWT signed by one of the
 *   agent's registered Ed25519 keys, `iss` = `sub` = agent_id, `aud` = the kernel's origin
 *   (`kernel.issuer`), lifetime at most 60 s, `jti` refused on replay within its lifetime;
 * - the answer carries a session token: a compact JWS by the kernel token key with `jti`,
 *   `sub` (the agent XPID), `sid` (the session), `cnf.jkt` (RFC 7638 thumbprint of the key that
 *   signed the assertion) and `exp`;
 * - each authorize and close proves possession of that key with DPoP (RFC 9449): the token is
 *   sent as `Authorization: DPoP <token>`, and a `DPoP` proof JWT signed by the key names the
 *   method (`htm`), URL (`htu`), a fresh `iat` and `jti`, and `ath` (the token's hash).
 */
import type { AgentProofVerifier } from '../../ports/agent-proof.ts';
import type { Clock } from '../../ports/clock.ts';
import type { ReplayStore } from '../../ports/replay-store.ts';
import type { TokenSigner } from '../../ports/token-signer.ts';
import type { Agent } from '../agents/agent-registry.ts';
import { DomainError } from '../errors.ts';
import { ReplayCache } from './replay-cache.ts';

/** `KEE_AUTH`: `agents` (assertions and DPoP) or `none` (any agent_id opens a session, no proof). */
export type AuthMode = 'agents' | 'none';

/** JOSE `typ` of a session token. */
export const SESSION_TOKEN_TYP = 'kee-session+jwt';
/** Longest client assertion lifetime (`exp` - `iat`). */
export const MAX_ASSERTION_SECONDS = 60;
/** How long a session token is valid. */
export const SESSION_TOKEN_SECONDS = 3600;
/** How old a DPoP proof's `iat` may be (and how far in the future, `SKEW_SECONDS`). */
export const DPOP_MAX_AGE_SECONDS = 60;
const SKEW_SECONDS = 5;

/** Who proved possession in a call of an authenticated session. */
export type SessionHolder = { agentId: string; jkt: string };

/** The request facts a DPoP proof is checked against. */
export type SessionCall = { sessionId: string; authorization: string | undefined; dpop: string | undefined; method: string; url: string };

export type AgentAuthDeps = {
  proofs: AgentProofVerifier | undefined;
  tokens: TokenSigner;
  clock: Clock;
  /** The kernel's origin: the `aud` of assertions, the `iss` of session tokens. */
  issuer: string;
  /** The registry, read after catching up with other kernels. */
  agent: (agentId: string) => Promise<Agent | undefined>;
  /**
   * Ids seen by every kernel of the store (the workerd isolates of a Worker, the instances on one
   * PostgreSQL): asked after this kernel's own cache, so a replay sent to another kernel is refused too; when it cannot
   * answer, the proof is refused (503). Without it, replays are caught per kernel only.
   */
  replay?: ReplayStore;
};

const unauthenticated = (why: string) => new DomainError('UNAUTHENTICATED', why);

export class AgentAuthenticator {
  private readonly deps: AgentAuthDeps;
  private readonly assertions = new ReplayCache();
  private readonly dpopProofs = new ReplayCache();

  constructor(deps: AgentAuthDeps) {
    this.deps = deps;
  }

  private now(): number {
    return Math.floor(Date.parse(this.deps.clock.nowIso()) / 1000);
  }

  private proofs(): AgentProofVerifier {
    if (!this.deps.proofs) throw new DomainError('UNAVAILABLE', 'agent authentication is not configured on this kernel');
    return this.deps.proofs;
  }

  /**
   * Checks a client assertion for `agentId`: 401 UNAUTHENTICATED when it does not verify
   * (unknown agent, no registered key signs it, wrong `iss`/`sub`/`aud`, expired, lifetime over
   * 60 s, replayed `jti`); 403 FORBIDDEN when the agent is suspended or revoked.
   */
  async checkAssertion(agentId: string, assertion: string | undefined): Promise<{ agent: Agent; jkt: string }> {
    if (assertion === undefined) throw unauthenticated('`client_assertion` is required: sign a JWT with a registered agent key (KEE_AUTH=agents)');
    const proofs = this.proofs();
    const unverified = proofs.unverifiedClaims(assertion);
    if (!unverified) throw unauthenticated('`client_assertion` is not a compact JWS');
    const agent = await this.deps.agent(agentId);
    if (!agent) throw unauthenticated(`agent \`${agentId.slice(0, 64)}\` is not registered`);
    let claims: Record<string, unknown> | null = null;
    let jkt = '';
    for (const key of agent.entry.public_keys) {
      claims = await proofs.verify(assertion, { kty: 'OKP', crv: 'Ed25519', x: key.x });
      if (claims) {
        jkt = key.kid;
        break;
      }
    }
    if (!claims) throw unauthenticated(`\`client_assertion\` is not signed by a registered key of agent \`${agentId.slice(0, 64)}\``);
    if (claims.iss !== agentId || claims.sub !== agentId) throw unauthenticated('`client_assertion`: `iss` and `sub` must both be the agent_id');
    const aud = claims.aud;
    if (!(aud === this.deps.issuer || (Array.isArray(aud) && aud.includes(this.deps.issuer)))) throw unauthenticated(`\`client_assertion\`: \`aud\` must be the kernel's origin \`${this.deps.issuer}\``);
    const { iat, exp, jti } = claims;
    if (typeof exp !== 'number' || typeof iat !== 'number') throw unauthenticated('`client_assertion`: `iat` and `exp` are required numbers');
    if (exp - iat > MAX_ASSERTION_SECONDS || exp <= iat) throw unauthenticated(`\`client_assertion\`: its lifetime (\`exp\` - \`iat\`) must be 1 to ${MAX_ASSERTION_SECONDS} seconds`);
    const now = this.now();
    if (exp + SKEW_SECONDS < now) throw unauthenticated('`client_assertion` has expired');
    if (iat - SKEW_SECONDS > now) throw unauthenticated('`client_assertion`: `iat` is in the future');
    if (claims.nbf !== undefined && (typeof claims.nbf !== 'number' || claims.nbf - SKEW_SECONDS > now)) throw unauthenticated('`client_assertion`: `nbf` is in the future (or is not a number)');
    if (typeof jti !== 'string' || jti.length === 0 || jti.length > 256) throw unauthenticated('`client_assertion`: `jti` is required (1 to 256 characters)');
    if (!this.assertions.use(`${agentId}\u0000${jti}`, exp + SKEW_SECONDS, now) || !(await this.shared('assertion', agentId, jti, exp + SKEW_SECONDS, now))) throw unauthenticated('`client_assertion` was already used (`jti` replayed)');
    if (agent.status !== 'ACTIVE') throw new DomainError('FORBIDDEN', `agent \`${agentId.slice(0, 64)}\` is ${agent.status}: it cannot open sessions`);
    return { agent, jkt };
  }

  /** The session token of a session opened with an assertion; `jti` as the session's SESSION_OPEN names it (the ACD `mjwt_jti`). */
  async sessionToken(sessionId: string, agent: Agent, jkt: string, jti: string = this.deps.tokens.newId()): Promise<{ token: string; expiresIn: number }> {
    const iat = this.now();
    const claims = { iss: this.deps.issuer, sub: agent.xpid, agent_id: agent.agent_id, sid: sessionId, iat, exp: iat + SESSION_TOKEN_SECONDS, jti, cnf: { jkt } };
    return { token: await this.deps.tokens.sign(SESSION_TOKEN_TYP, claims), expiresIn: SESSION_TOKEN_SECONDS };
  }

  /**
   * Checks the session token and the DPoP proof of a call in `call.sessionId` (401
   * UNAUTHENTICATED otherwise) and answers who made it.
   */
  async checkCall(call: SessionCall): Promise<SessionHolder> {
    const m = call.authorization === undefined ? null : /^DPoP +([A-Za-z0-9._~+/-]+=*) *$/i.exec(call.authorization);
    if (!m) throw unauthenticated('this session needs `Authorization: DPoP <session_token>` and a `DPoP` proof (KEE_AUTH=agents)');
    const token = m[1] as string;
    const claims = await this.deps.tokens.verify(token, SESSION_TOKEN_TYP);
    const now = this.now();
    if (!claims || claims.iss !== this.deps.issuer) throw unauthenticated('the session token does not verify');
    if (typeof claims.exp !== 'number' || claims.exp < now) throw unauthenticated('the session token has expired: open a new session');
    if (claims.sid !== call.sessionId) throw unauthenticated('the session token is not for this session');
    const jkt = (claims.cnf as { jkt?: unknown } | undefined)?.jkt;
    if (typeof jkt !== 'string' || typeof claims.agent_id !== 'string') throw unauthenticated('the session token does not verify');
    await this.checkProof(call, token, jkt, 'session', now);
    return { agentId: claims.agent_id, jkt };
  }

  /**
   * Checks that the caller holds the key credential `token` is bound to (`jkt`, its `cnf.jkt`):
   * `Authorization: DPoP <the credential>` and a DPoP proof by that key over it (`ath`), as a
   * resource provider checks it. 401 UNAUTHENTICATED otherwise; 403 FORBIDDEN for a credential
   * bound to no key (issued under KEE_AUTH=none: there is no holder to prove).
   */
  async checkHolder(call: Omit<SessionCall, 'sessionId'>, token: string, jkt: string | undefined): Promise<void> {
    const m = call.authorization === undefined ? null : /^DPoP +([A-Za-z0-9._~+/-]+=*) *$/i.exec(call.authorization);
    if (!m || m[1] !== token) throw unauthenticated('revoking as its holder needs `Authorization: DPoP <the credential>` (the one in the body) and a `DPoP` proof');
    if (jkt === undefined) throw new DomainError('FORBIDDEN', 'this credential is bound to no key (no `cnf.jkt`): only an operator can revoke it');
    await this.checkProof(call, token, jkt, 'credential', this.now());
  }

  /** RFC 9449 §4.3 checks of `call.dpop`: signed by `jkt`, this method and URL, fresh, over `token` (`ath`), `jti` unused. */
  private async checkProof(call: Omit<SessionCall, 'sessionId'>, token: string, jkt: string, what: 'session' | 'credential', now: number): Promise<void> {
    if (call.dpop === undefined) throw unauthenticated('the `DPoP` proof header is missing');
    const proof = await this.proofs().verifyDpop(call.dpop);
    if (!proof) throw unauthenticated('the `DPoP` proof does not verify (a `dpop+jwt` signed with EdDSA by the `jwk` in its header)');
    if (proof.jkt !== jkt) throw unauthenticated(`the \`DPoP\` proof is not signed by the key the ${what} is bound to`);
    const p = proof.claims;
    if (p.htm !== call.method) throw unauthenticated(`the \`DPoP\` proof's \`htm\` must be \`${call.method}\``);
    if (p.htu !== withoutQuery(call.url)) throw unauthenticated(`the \`DPoP\` proof's \`htu\` must be \`${withoutQuery(call.url)}\``);
    if (typeof p.iat !== 'number' || p.iat < now - DPOP_MAX_AGE_SECONDS || p.iat > now + SKEW_SECONDS) throw unauthenticated(`the \`DPoP\` proof's \`iat\` must be within the last ${DPOP_MAX_AGE_SECONDS} seconds`);
    // RFC 9449 defines neither, but RFC 7519 §4.1.4-5 binds any JWT that carries them
    if (p.exp !== undefined && (typeof p.exp !== 'number' || p.exp + SKEW_SECONDS < now)) throw unauthenticated("the `DPoP` proof's `exp` has passed (or is not a number)");
    if (p.nbf !== undefined && (typeof p.nbf !== 'number' || p.nbf > now + SKEW_SECONDS)) throw unauthenticated("the `DPoP` proof's `nbf` is in the future (or is not a number)");
    if (p.ath !== this.proofs().accessTokenHash(token)) throw unauthenticated(`the \`DPoP\` proof's \`ath\` is not the hash of the ${what === 'session' ? 'session token' : 'credential'}`);
    if (typeof p.jti !== 'string' || p.jti.length === 0 || p.jti.length > 256) throw unauthenticated("the `DPoP` proof's `jti` is required (1 to 256 characters)");
    const until = p.iat + DPOP_MAX_AGE_SECONDS + SKEW_SECONDS;
    if (!this.dpopProofs.use(`${jkt}\u0000${p.jti}`, until, now) || !(await this.shared('dpop', jkt, p.jti, until, now))) throw unauthenticated('the `DPoP` proof was already used (`jti` replayed)');
  }

  /** Claims `jti` of `who` in the shared replay store (true without one); UNAVAILABLE when the store cannot answer. */
  private async shared(kind: 'assertion' | 'dpop', who: string, jti: string, until: number, now: number): Promise<boolean> {
    if (!this.deps.replay) return true;
    try {
      // JSON: no separator a `jti` or agent_id could contain makes two ids one
      return await this.deps.replay.claim(JSON.stringify([kind, who, jti]), Math.ceil(until), now);
    } catch {
      throw new DomainError('UNAVAILABLE', 'the shared replay store cannot be reached: the proof is refused rather than accepted unchecked; retry shortly');
    }
  }
}

/** `withoutQuery` of the URLs seen (one per session and route: parsed once; at most 1,024 of up to 512 characters). */
const htus = new Map<string, string>();

/** RFC 9449 §4.3: `htu` is compared without query and fragment. */
function withoutQuery(url: string): string {
  let htu = htus.get(url);
  if (htu === undefined) {
    const u = new URL(url);
    htu = `${u.origin}${u.pathname}`;
    if (url.length <= 512) {
      if (htus.size >= 1024) htus.clear();
      htus.set(url, htu);
    }
  }
  return htu;
}
