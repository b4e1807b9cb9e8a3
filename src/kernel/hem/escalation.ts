import { DomainError } from '../errors.ts';
import type { EntityRef, Json } from '../types.ts';

/** Document kind of the HEM event log (`seq` = event sequence, 1, 2, …): escalations are rebuilt from it. */
export const HEM_DOCUMENT_KIND = 'hem_event';
/** How long an escalation waits for an approver when `KEE_HEM_TIMEOUT_S` is not set. */
export const DEFAULT_HEM_TIMEOUT_S = 900;

/** HEM-05 states an escalation goes through here: PENDING, then one final resolution. */
export const HEM_STATUSES = ['PENDING', 'APPROVED', 'REJECTED', 'TIMEOUT_DENY'] as const;
export type HemStatus = (typeof HEM_STATUSES)[number];
/** What an approver answers. */
export type HemAnswer = 'APPROVED' | 'REJECTED';

/** One human escalation, opened by a DENY determined by a `@hem("<class>")` forbid policy. */
export type Escalation = {
  hem_id: string;
  hem_class: string;
  status: HemStatus;
  created_at: string;
  expires_at: string;
  /** The agent session and agent of the denied request: only they may retry with this id. */
  session_id: string;
  block_id: string;
  agent_id: string;
  principal: EntityRef;
  action: EntityRef;
  resource: EntityRef;
  /** The `@hem` forbid policy that determined the DENY, and that DENY's record. */
  cedar_policy_id: string;
  ale_seq: number;
  /** Set once resolved: the approver (operator token `sub`, null on TIMEOUT_DENY), time and comment. */
  resolution: { approver: string | null; resolved_at: string; comment: string | null } | null;
};

/** The escalation part of a DENY answer (`escalation` of the authorize result). */
export type EscalationRef = { hem_id: string; hem_class: string; status: HemStatus; expires_at: string };

/** An entry of the HEM event log: an escalation opened, or resolved. */
export type HemEvent =
  | { seq: number; event: 'TRIGGERED'; escalation: Escalation }
  | { seq: number; event: 'RESOLVED'; hem_id: string; status: Exclude<HemStatus, 'PENDING'>; approver: string | null; resolved_at: string; comment: string | null };

/** What a retry's Cedar context holds under `hem`: facts from the kernel's own records only. */
export function hemFacts(e: Escalation): Record<string, Json> {
  return { id: e.hem_id, class: e.hem_class, resolution: e.status, approver: e.resolution?.approver ?? '' };
}

export function refOf(e: Escalation): EscalationRef {
  return { hem_id: e.hem_id, hem_class: e.hem_class, status: e.status, expires_at: e.expires_at };
}

/** A stored event, checked: the HEM registry fails closed on a log it cannot read. */
export function parseEvent(body: string, seq: number): HemEvent {
  let e: Partial<HemEvent> & Record<string, unknown>;
  try {
    e = JSON.parse(body) as Partial<HemEvent> & Record<string, unknown>;
  } catch {
    throw new DomainError('AUDIT_TAMPERED', `the HEM event log entry ${seq} is not JSON`);
  }
  const ok =
    e.seq === seq &&
    ((e.event === 'TRIGGERED' && typeof e.escalation === 'object' && e.escalation !== null && typeof (e.escalation as Escalation).hem_id === 'string') ||
      (e.event === 'RESOLVED' && typeof e.hem_id === 'string' && typeof e.status === 'string' && HEM_STATUSES.includes(e.status as HemStatus) && (e.status as string) !== 'PENDING'));
  if (!ok) throw new DomainError('AUDIT_TAMPERED', `the HEM event log entry ${seq} is malformed`);
  return e as HemEvent;
}
