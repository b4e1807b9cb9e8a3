import { DomainError } from '../kernel/errors.ts';

/**
 * XPIDs are derived by the kernel only (KIA §6.2, CONF-KIA-21): a request that supplies one
 * where the kernel derives it is refused with `INVALID_XPID_CLAIM`, whatever its value.
 */
export function refuseXpidClaim(body: { xpid?: unknown }): void {
  if (body.xpid !== undefined) throw new DomainError('INVALID_XPID_CLAIM', 'an xpid is derived by the kernel only: remove `xpid` from the request');
}
