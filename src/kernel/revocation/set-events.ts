/**
 * Security Event Tokens (RFC 8417) of the revocation registry over SSF 1.0: one SET per
 * registry entry. An XPID is a CAEP `session-revoked` (the agent's sessions end), a mandate or
 * credential `jti` is the KIA `mandate_revoked` of digest §3.6, a KIA key, GEC Manifest or
 * certificate is a CAEP `credential-change` (`change_type: revoke`). The receiving kernel maps
 * each back to the same registry entry (`toRevocation`).
 */
import type { RevocationEntry, RevocationInput, RevocationKind } from '../credentials/revocations.ts';

export const SET_TYP = 'secevent+jwt';
export const CAEP_SESSION_REVOKED = 'https://schemas.openid.net/secevent/caep/event-type/session-revoked';
export const CAEP_CREDENTIAL_CHANGE = 'https://schemas.openid.net/secevent/caep/event-type/credential-change';
export const SSF_VERIFICATION = 'https://schemas.openid.net/secevent/ssf/event-type/verification';
/** The KIA `mandate_revoked` event (KIA §6.5, digest §3.6); the URI is Kee's choice (the drafts name none). */
export const KIA_MANDATE_REVOKED = 'urn:soos:kia:event-type:mandate_revoked';
/** Every event type a Kee transmitter delivers. */
export const EVENTS_SUPPORTED = [CAEP_SESSION_REVOKED, CAEP_CREDENTIAL_CHANGE, KIA_MANDATE_REVOKED, SSF_VERIFICATION] as const;

export type SetClaims = {
  iss: string;
  iat: number;
  jti: string;
  aud: string | string[];
  txn?: string;
  sub_id: { format: string; [k: string]: unknown };
  events: Record<string, Record<string, unknown>>;
};

/** The event type one registry entry travels as. */
export function eventTypeOf(kind: RevocationKind): string {
  if (kind === 'XPID') return CAEP_SESSION_REVOKED;
  if (kind === 'MANDATE_JTI') return KIA_MANDATE_REVOKED;
  return CAEP_CREDENTIAL_CHANGE;
}

/** The SET claims of a registry entry, for the receiver `aud`. */
export function setClaimsOf(entry: RevocationEntry, iss: string, aud: string, jti: string, nowSec: number): SetClaims {
  const eventTimestamp = Math.floor(Date.parse(entry.revoked_at) / 1000);
  const agent = entry.subject?.agent_id === undefined ? {} : { kee_agent_id: entry.subject.agent_id };
  const base = { iss, iat: nowSec, jti, aud, ...(entry.event_id ? { txn: entry.event_id } : {}) };
  if (entry.kind === 'XPID') {
    return {
      ...base,
      sub_id: { format: 'opaque', id: entry.id },
      events: { [CAEP_SESSION_REVOKED]: { event_timestamp: eventTimestamp, initiating_entity: 'admin', ...(entry.reason ? { reason_admin: { en: entry.reason } } : {}), ...agent } },
    };
  }
  if (entry.kind === 'MANDATE_JTI') {
    const xpid = entry.subject?.xpid;
    return {
      ...base,
      sub_id: xpid === undefined ? { format: 'opaque', id: entry.id } : { format: 'opaque', id: xpid },
      events: {
        [KIA_MANDATE_REVOKED]: {
          event_type: 'mandate_revoked',
          subject: { format: 'xpid', xpid: xpid ?? null },
          jti_revoked: entry.id,
          revocation_scope: entry.revocation_type === 'CASCADE' ? 'CASCADE_TO_DESCENDANTS' : 'THIS_MANDATE_ONLY',
          originating_kernel: entry.originating_kernel ?? iss,
          revoked_at: entry.revoked_at,
          ...(entry.exp === undefined ? {} : { kee_exp: entry.exp }),
          ...agent,
        },
      },
    };
  }
  return {
    ...base,
    sub_id: { format: 'opaque', id: entry.id },
    events: { [CAEP_CREDENTIAL_CHANGE]: { event_timestamp: eventTimestamp, credential_type: entry.kind === 'GEC_MANIFEST' ? 'app' : 'x509', change_type: 'revoke', initiating_entity: 'admin', kee_kind: entry.kind } },
  };
}

/** The claims of a verification event (SSF 1.0 §8.1.4) for a stream. */
export function verificationClaims(iss: string, aud: string, jti: string, nowSec: number, streamId: string, state: string | undefined): SetClaims {
  return { iss, iat: nowSec, jti, aud, sub_id: { format: 'opaque', id: streamId }, events: { [SSF_VERIFICATION]: state === undefined ? {} : { state } } };
}

const str = (v: unknown): string | undefined => (typeof v === 'string' && v.length > 0 && v.length <= 512 ? v : undefined);

/**
 * The registry entry a received SET asks for (source CAEP), `'verification'` for a
 * verification event, or null for an event Kee does not act on. Throws a message for a SET
 * that names a known event but lacks what it needs.
 */
export function toRevocation(claims: Record<string, unknown>, receivedAt: string): RevocationInput | 'verification' | null {
  const events = claims.events;
  if (!events || typeof events !== 'object' || Array.isArray(events)) throw new Error('the SET has no `events` object');
  const names = Object.keys(events);
  if (names.length !== 1) throw new Error('a SET carries exactly one event (SSF 1.0)');
  const type = names[0] as string;
  const ev = (events as Record<string, unknown>)[type] as Record<string, unknown>;
  if (!ev || typeof ev !== 'object') throw new Error('the event is not an object');
  const sub = claims.sub_id as { id?: unknown } | undefined;
  const iss = str(claims.iss);
  const common = { source: 'CAEP' as const, caep_received_at: receivedAt, ...(iss ? { originating_kernel: iss } : {}), ...(str(claims.txn) ? { event_id: str(claims.txn) } : {}) };
  const agentId = str(ev.kee_agent_id);
  if (type === SSF_VERIFICATION) return 'verification';
  if (type === CAEP_SESSION_REVOKED) {
    const xpid = str(sub?.id);
    if (!xpid) throw new Error('session-revoked without `sub_id.id`');
    return { kind: 'XPID', id: xpid, subject: { xpid, ...(agentId ? { agent_id: agentId } : {}) }, ...common };
  }
  if (type === KIA_MANDATE_REVOKED) {
    const jti = str(ev.jti_revoked);
    if (!jti) throw new Error('mandate_revoked without `jti_revoked`');
    const xpid = str((ev.subject as { xpid?: unknown } | undefined)?.xpid);
    const exp = typeof ev.kee_exp === 'number' && Number.isSafeInteger(ev.kee_exp) ? ev.kee_exp : undefined;
    const cascade = ev.revocation_scope === 'CASCADE_TO_DESCENDANTS';
    return {
      kind: 'MANDATE_JTI',
      id: jti,
      ...(exp === undefined ? {} : { exp }),
      ...(xpid || agentId ? { subject: { ...(xpid ? { xpid } : {}), ...(agentId ? { agent_id: agentId } : {}) } } : {}),
      revocation_type: cascade ? 'CASCADE' : 'DIRECT',
      ...common,
      ...(str(ev.originating_kernel) ? { originating_kernel: str(ev.originating_kernel) } : {}),
    };
  }
  if (type === CAEP_CREDENTIAL_CHANGE) {
    if (ev.change_type !== 'revoke') return null;
    const kind = ev.kee_kind;
    const id = str(sub?.id);
    if ((kind !== 'KIA_KEY' && kind !== 'GEC_MANIFEST' && kind !== 'GEC_CERT') || !id) return null;
    return { kind, id, ...common };
  }
  return null;
}
