/**
 * Journal sealing and session lifetime settings of the Node, Bun and Deno entries, read and
 * checked at start (a bad value stops the start with one line): `KEE_JOURNAL_BLOCK_SECONDS`,
 * `KEE_JOURNAL_BLOCK_RECORDS`, `KEE_SESSION_MAX_SECONDS`, `KEE_SESSION_IDLE_SECONDS`.
 */
import type { JournalOptions } from '../kernel/audit/journal.ts';
import type { SessionExpiryOptions } from '../kernel/sessions/session-expiry.ts';
import { StartupError } from './startup-error.ts';

type Env = Record<string, string | undefined>;

export type LifetimeConfig = { journal: JournalOptions; sessions: SessionExpiryOptions };

export function readLifetimeConfig(env: Env): LifetimeConfig {
  const blockSeconds = positive(env, 'KEE_JOURNAL_BLOCK_SECONDS', 86_400);
  const blockRecords = positive(env, 'KEE_JOURNAL_BLOCK_RECORDS', 1_000_000);
  const maxSeconds = positive(env, 'KEE_SESSION_MAX_SECONDS', 31 * 86_400);
  const idleSeconds = positive(env, 'KEE_SESSION_IDLE_SECONDS', 31 * 86_400);
  return {
    journal: { ...(blockSeconds === undefined ? {} : { blockMs: blockSeconds * 1000 }), ...(blockRecords === undefined ? {} : { blockRecords }) },
    sessions: { ...(maxSeconds === undefined ? {} : { maxMs: maxSeconds * 1000 }), ...(idleSeconds === undefined ? {} : { idleMs: idleSeconds * 1000 }) },
  };
}

/** `KEE_ALLOW_NONCONFORMANT`: `1` lets a government CAP Profile run below KEE1-L3 (development only; the manifest says so). */
export function readAllowNonconformant(env: Env): boolean {
  const raw = env.KEE_ALLOW_NONCONFORMANT?.trim();
  if (raw === undefined || raw === '' || raw === '0') return false;
  if (raw === '1') return true;
  throw new StartupError(`KEE_ALLOW_NONCONFORMANT must be \`1\` or \`0\`, got \`${raw}\``);
}

/** An integer from 1 to `max`, or undefined when unset or empty (the default applies). */
function positive(env: Env, name: string, max: number): number | undefined {
  const raw = env[name]?.trim();
  if (raw === undefined || raw === '') return undefined;
  const n = Number(raw);
  if (!/^[0-9]+$/.test(raw) || !Number.isSafeInteger(n) || n < 1 || n > max) throw new StartupError(`${name} must be a whole number from 1 to ${max}, got \`${raw}\``);
  return n;
}
