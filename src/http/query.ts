import type { Context } from 'hono';
import { DomainError } from '../kernel/errors.ts';

/**
 * One query parameter's value, or undefined when absent. A parameter given more than once is
 * refused (400 INVALID_INPUT) rather than read first- or last-wins: a proxy that reads the other
 * copy would see a different request than the one answered.
 */
export function queryParam(c: Context, name: string): string | undefined {
  const values = c.req.queries(name);
  if (values && values.length > 1) throw new DomainError('INVALID_INPUT', `query parameter \`${name}\` is given ${values.length} times; give it once`);
  return values?.[0];
}
