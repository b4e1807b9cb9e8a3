import type { Clock } from '../../ports/clock.ts';
import type { IntentHasher, TokenSigner } from '../../ports/token-signer.ts';
import type { XpidDeriver } from '../../ports/xpid.ts';
import type { AuthorizationRequest, Session } from '../types.ts';
import { sessionAgentXpid } from './agent-xpid.ts';
import { CREDENTIAL_TTL_SECONDS, CREDENTIAL_TYP, intentFingerprint, intentFingerprintOf, type CredentialClaims } from './claims.ts';

export type CredentialIssuerDeps = {
  tokens: TokenSigner;
  hasher: IntentHasher;
  xpid: XpidDeriver;
  sha256: (bytes: Uint8Array) => Uint8Array;
  clock: Clock;
  kernelId: string;
  /** `iss`: the kernel's origin, the same line as its checkpoints' (`kee.local/<kernel_id>`). */
  issuer: string;
  /** The registry's XPID of a registered agent; others get the provisional one of `sessionAgentXpid`. */
  registeredXpid?: (agentId: string) => string | undefined;
};

/** What a PERMIT's record names before its credential is signed. */
export type PreparedCredential = { jti: string; intent: string };

/** What the credential states about the decision it came from. */
export type DecisionFacts = { ale_seq: number; cedar_policy_hash: string; cap_profile_hash: string | null };

/**
 * Issues credentials in two steps around the decision record: `prepare` fixes the `jti` and the
 * intent fingerprint, which the CEDAR_PERMIT record stores; `issue` signs once the record is
 * durable (its `ale_seq` is a claim), so a credential always has its record.
 */
export class CredentialIssuer {
  private readonly deps: CredentialIssuerDeps;
  /** Agent XPIDs by session agent id (deterministic; bounded, cleared when full). */
  private readonly subjects = new Map<string, string>();

  constructor(deps: CredentialIssuerDeps) {
    this.deps = deps;
  }

  /** `canonical`: the JCS of `{principal, action, resource, context}` of `request` when the caller has it already. */
  prepare(request: AuthorizationRequest, canonical?: string): PreparedCredential {
    return { jti: this.deps.tokens.newId(), intent: canonical === undefined ? intentFingerprint(this.deps.hasher, request) : intentFingerprintOf(this.deps.hasher, canonical) };
  }

  /** `holderJkt`: the thumbprint of the key the session's agent proved (authenticated sessions): the credential's `cnf.jkt`. */
  async issue(prepared: PreparedCredential, session: Session, request: AuthorizationRequest, facts: DecisionFacts, holderJkt?: string): Promise<string> {
    const iat = Math.floor(Date.parse(this.deps.clock.nowIso()) / 1000);
    const claims: CredentialClaims = {
      iss: this.deps.issuer,
      sub: this.agentXpid(session.agent_id),
      ...(request.audience === undefined ? {} : { aud: request.audience }),
      iat,
      nbf: iat,
      exp: iat + CREDENTIAL_TTL_SECONDS,
      jti: prepared.jti,
      intent: prepared.intent,
      ale_seq: facts.ale_seq,
      block_id: session.block_id,
      cedar_policy_hash: facts.cedar_policy_hash,
      cap_profile_hash: facts.cap_profile_hash,
      // RFC 7800: the holder must prove this key to the provider (authenticated sessions only)
      ...(holderJkt === undefined ? {} : { cnf: { jkt: holderJkt } }),
    };
    return this.deps.tokens.sign(CREDENTIAL_TYP, claims);
  }

  /**
   * The XPID of a session's agent: the registry's for a registered agent, else the provisional
   * one of `sessionAgentXpid`. Credentials' `sub`, and `xpid` of SESSION_OPEN and decision records and governance spans.
   */
  agentXpid(agentId: string): string {
    const registered = this.deps.registeredXpid?.(agentId);
    if (registered !== undefined) return registered;
    let xpid = this.subjects.get(agentId);
    if (xpid === undefined) {
      xpid = sessionAgentXpid(this.deps.xpid, this.deps.sha256, this.deps.kernelId, agentId);
      if (this.subjects.size >= 10_000) this.subjects.clear();
      this.subjects.set(agentId, xpid);
    }
    return xpid;
  }
}
