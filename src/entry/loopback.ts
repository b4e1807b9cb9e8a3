/** Loopback addresses: where KEE_AUTH=none is allowed (no other machine can reach the kernel). */

/** 127.0.0.0/8, ::1 and `localhost` (brackets of an IPv6 URL host allowed). */
export function isLoopback(host: string): boolean {
  const h = host.replace(/^\[|\]$/g, '').toLowerCase();
  return h === 'localhost' || h === '::1' || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(h) || /^::ffff:127\./.test(h);
}
