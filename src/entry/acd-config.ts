/**
 * The ACD settings of the Node, Bun and Deno entries (docs/acd.md#settings): `KEE_ACD_PROFILE`
 * is a JSON file here; the checks are `acd-settings.ts`. Any error stops the start.
 */
import { readFile } from 'node:fs/promises';
import type { AcdOptions } from '../kernel/acd/acd-record.ts';
import { acdOptionsFrom } from './acd-settings.ts';
import { StartupError } from './startup-error.ts';

export async function readAcdOptions(env: Record<string, string | undefined>): Promise<AcdOptions> {
  const path = env.KEE_ACD_PROFILE?.trim();
  let text: string | undefined;
  if (path) {
    try {
      text = await readFile(path, 'utf8');
    } catch (e) {
      throw new StartupError(`KEE_ACD_PROFILE: cannot read \`${path}\`: ${e instanceof Error ? e.message : String(e)}`);
    }
  }
  try {
    return acdOptionsFrom({ maxAge: env.KEE_ACD_MANIFEST_MAX_AGE, validity: env.KEE_ACD_VALIDITY }, text === undefined ? undefined : { text, where: `KEE_ACD_PROFILE \`${path}\`` });
  } catch (e) {
    throw new StartupError((e as Error).message);
  }
}
