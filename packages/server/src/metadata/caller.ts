/**
 * The caller's IP: the socket's remote address, never a proxy header (a pod could claim any IP in X-Forwarded-For).
 * IPv4-mapped IPv6 addresses are shown as plain IPv4, as pods' IPs are.
 */
export function callerIp(remoteAddress: string | undefined): string {
  const address = remoteAddress ?? '';
  return address.startsWith('::ffff:') && address.includes('.') ? address.slice(7) : address;
}
