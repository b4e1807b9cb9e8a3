/** Plain data shared by the kernel and its ports. No Hono, drizzle, WASM or OTel types here. */

export type EntityRef = { type: string; id: string };

export type Decision = 'PERMIT' | 'DENY';

/** JSON value as accepted in a Cedar context. */
export type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

/**
 * One entity in Cedar's entity JSON format: its attributes (Cedar JSON values, with the
 * `__entity` / `__extn` escapes) and its direct parents (what `in` reads).
 */
export type CedarEntity = { uid: EntityRef; attrs: Record<string, Json>; parents: EntityRef[] };

export type AuthorizationRequest = {
  principal: EntityRef;
  action: EntityRef;
  resource: EntityRef;
  context: Record<string, Json>;
  /** The entities the policies may read (hierarchy for `in`, attributes); none when absent. */
  entities?: CedarEntity[];
  /** The resource provider a PERMIT's credential is for (its `aud`); not part of the Cedar request. */
  audience?: string;
  /**
   * A human escalation this request is a retry of (`escalation.hem_id` of an earlier DENY): the
   * kernel puts its verified facts into `context.hem` (docs/hem.md). Not part of the Cedar request.
   */
  hem_id?: string;
};

/** One audit record (ALE) as hashed and stored: its JCS text is the Merkle leaf. */
export type AuditRecord = {
  ale_type: string;
  ale_seq: number;
  session_id: string;
  block_id: string;
  kernel_id: string;
  timestamp: string;
  prev_span_hash: string | null;
  [field: string]: Json;
};

export type SessionStatus = 'OPEN' | 'CLOSING' | 'CLOSED' | 'TAMPERED';

export type Session = {
  session_id: string;
  block_id: string;
  agent_id: string;
  status: SessionStatus;
  created_at: string;
};

export type BlockSignature = {
  algorithm: 'Ed25519';
  key_id: string;
  public_key: string;
  signature: string;
  /**
   * FROST: the identifiers of the t participants whose shares make up `signature`, ascending,
   * as the kernel's coordinator aggregated them (absent for a single Ed25519 key). Not part of
   * the signing input (it is known only once the signature exists); it is committed to by the
   * block-log leaf (SHA-256 of the whole block) that signed checkpoints cover.
   */
  participants?: number[];
};

/** A signed Session Block header (KEE §4.7, GAR §14.3). */
export type SessionBlock = {
  block_id: string;
  session_id: string;
  merkle_root: string;
  block_close_timestamp: string;
  record_count: number;
  block_signature: BlockSignature;
};
