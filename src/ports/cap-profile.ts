import type { EntityRef } from '../kernel/types.ts';
import type { PolicyEngine } from './policy.ts';

/** One signature of a JWS JSON general serialization, paired with the shared payload (flattened form). */
export type FlattenedJws = { payload: string; protected: string; header?: Record<string, unknown>; signature: string };

export type JwsCheck = { valid: true; payload: Uint8Array } | { valid: false; reason: string };

/** JWS verification (RFC 7515), EdDSA over raw Ed25519 public keys. */
export interface JwsVerifier {
  /** The decoded protected header (base64url of a JSON object); null when it is not one. */
  protectedHeader(protectedB64: string): Record<string, unknown> | null;
  /** Verifies one `alg: "EdDSA"` signature over the exact payload bytes; never throws. */
  verify(jws: FlattenedJws, publicKey: Uint8Array): Promise<JwsCheck>;
}

/**
 * A principal, action or resource scope constraint, normalized from Cedar's JSON (EST) form:
 * `any` (no constraint), `eq` (`== E`), `in` (`in E` / `in [E…]`: E or a descendant), `is`
 * (`is T`, optionally `is T in E…`). Anything else is reported as `any`.
 */
export type ScopeConstraint =
  | { kind: 'any' }
  | { kind: 'eq'; entity: EntityRef }
  | { kind: 'in'; entities: EntityRef[] }
  | { kind: 'is'; type: string; in: EntityRef[] };

export type InspectedPolicy = {
  id: string | null;
  effect: 'permit' | 'forbid';
  annotations: Record<string, string>;
  principal: ScopeConstraint;
  action: ScopeConstraint;
  resource: ScopeConstraint;
  /** Number of `when` / `unless` clauses (not analyzed by conflict detection). */
  conditions: number;
};

/**
 * What a policy text holds, without activating it. `cedarPolicyHash` is the serving engine's
 * own `cedar_policy_hash`; null (with `engineError`) when the engine refuses the set.
 */
export type PolicyInspection =
  | { type: 'success'; policies: InspectedPolicy[]; cedarPolicyHash: string | null; engineError?: string }
  | { type: 'failure'; message: string };

export interface PolicyInspector {
  inspect(policiesText: string): PolicyInspection;
}

