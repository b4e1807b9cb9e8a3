/**
 * P8 revocation configuration of the Node, Bun and Deno entries (docs/revocation.md):
 * `KEE_SSF_TRANSMITTERS` (a JSON array, or the path of a file holding one) lists the SSF
 * transmitters this kernel receives from; `KEE_SSF_POLL_MS`, `KEE_SSF_VERIFY_MS` and
 * `KEE_SSF_UNHEALTHY_MS` tune polling, verification requests and the fail-closed bound. A bad
 * value stops the start with one line.
 */
import { readFileSync } from 'node:fs';
import { z } from 'zod';
import type { RevocationOptions } from '../kernel/revocation/federation.ts';
import type { TransmitterConfig } from '../kernel/revocation/receiver.ts';
import { StartupError } from './startup-error.ts';

type Env = Record<string, string | undefined>;

const httpUrl = z.string().regex(/^https?:\/\/\S+$/, 'must be an http(s) URL');
const transmitter = z
  .strictObject({
    config_url: httpUrl,
    issuer: z.string().min(1).optional(),
    delivery: z.enum(['push', 'poll']),
    push_url: httpUrl.optional(),
    token: z.string().min(1).optional(),
    /** The name of an environment variable holding the bearer token (keeps it out of the JSON). */
    token_env: z.string().min(1).optional(),
  })
  .refine((t) => t.delivery === 'poll' || t.push_url !== undefined, { message: 'push delivery needs `push_url` (where the transmitter reaches this kernel\'s /ssf/push)' });

export function readRevocationConfig(env: Env): RevocationOptions {
  const pollMs = readMs(env, 'KEE_SSF_POLL_MS', 2_000, 100, 30_000);
  const verifyEveryMs = readMs(env, 'KEE_SSF_VERIFY_MS', 10_000, 1_000, 600_000);
  const unhealthyAfterMs = readMs(env, 'KEE_SSF_UNHEALTHY_MS', 30_000, 1_000, 3_600_000);
  // a stream is heard from once per poll or verification: a bound below that would flap
  if (unhealthyAfterMs <= Math.max(pollMs, verifyEveryMs)) throw new StartupError(`KEE_SSF_UNHEALTHY_MS (${unhealthyAfterMs}) must exceed KEE_SSF_POLL_MS (${pollMs}) and KEE_SSF_VERIFY_MS (${verifyEveryMs}): a healthy stream is heard from only that often`);
  return { transmitters: readTransmitters(env), pollMs, verifyEveryMs, unhealthyAfterMs };
}

function readTransmitters(env: Env): TransmitterConfig[] {
  const raw = env.KEE_SSF_TRANSMITTERS?.trim();
  if (!raw) return [];
  let text = raw;
  if (!raw.startsWith('[')) {
    try {
      text = readFileSync(raw, 'utf8');
    } catch (e) {
      throw new StartupError(`KEE_SSF_TRANSMITTERS: cannot read \`${raw}\` (${e instanceof Error ? e.message : String(e)}): give a JSON array or the path of a file holding one`);
    }
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw new StartupError('KEE_SSF_TRANSMITTERS is not JSON: give an array of {config_url, delivery: "push"|"poll", push_url?, token? | token_env?, issuer?}');
  }
  const parsed = z.array(transmitter).max(64).safeParse(value);
  if (!parsed.success) {
    const i = parsed.error.issues[0];
    throw new StartupError(`KEE_SSF_TRANSMITTERS: \`${i?.path.join('.') || '(value)'}\` ${i?.message ?? 'is invalid'}`);
  }
  return parsed.data.map(({ token_env, token, ...t }, n) => {
    const secret = token ?? (token_env === undefined ? undefined : env[token_env]);
    if (token_env !== undefined && !secret) throw new StartupError(`KEE_SSF_TRANSMITTERS: \`${n}.token_env\` names \`${token_env}\`, which is not set`);
    return { ...t, ...(secret ? { token: secret } : {}) };
  });
}

function readMs(env: Env, name: string, fallback: number, min: number, max: number): number {
  const v = env[name]?.trim();
  if (!v) return fallback;
  if (!/^\d{1,9}$/.test(v) || Number(v) < min || Number(v) > max) throw new StartupError(`${name} must be milliseconds from ${min} to ${max}, got \`${v}\``);
  return Number(v);
}
