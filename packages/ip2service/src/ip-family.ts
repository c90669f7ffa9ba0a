import { isIPv4, isIPv6 } from 'node:net';

/**
 * An address family, spelled like an EndpointSlice's `addressType`. Everything family-specific (address syntax,
 * host prefix length, `ip:port` formatting, which binary to run) goes through this file, so adding IPv6 (the metadata
 * address fd00:ec2::254, ip6tables) is a matter of passing 'IPv6'.
 */
export type IpFamily = 'IPv4' | 'IPv6';

export function isAddressOf(family: IpFamily, ip: string): boolean {
  return family === 'IPv4' ? isIPv4(ip) : isIPv6(ip);
}

/** `10.0.0.1/32` or `fd00::1/128`: how iptables prints a single-host match. */
export function hostCidr(family: IpFamily, ip: string): string {
  return `${ip}/${family === 'IPv4' ? 32 : 128}`;
}

/** `10.0.0.1:8181` or `[fd00::1]:8181`, as DNAT's --to-destination takes it. */
export function hostPort(family: IpFamily, ip: string, port: number): string {
  return family === 'IPv4' ? `${ip}:${port}` : `[${ip}]:${port}`;
}

/** Orders addresses numerically (10.0.0.2 before 10.0.0.10); the address must be of the given family. */
export function compareAddresses(family: IpFamily, a: string, b: string): number {
  const ka = addressKey(family, a);
  const kb = addressKey(family, b);
  return ka < kb ? -1 : ka > kb ? 1 : 0;
}

/** A fixed-width string that sorts like the address's numeric value. */
function addressKey(family: IpFamily, ip: string): string {
  if (family === 'IPv4') return ip.split('.').map((octet) => octet.padStart(3, '0')).join('.');
  return expandIPv6(ip)
    .map((group) => group.padStart(4, '0'))
    .join(':');
}

function expandIPv6(ip: string): string[] {
  let text = ip.toLowerCase();
  const lastColon = text.lastIndexOf(':');
  const tail = text.slice(lastColon + 1);
  if (isIPv4(tail)) {
    // ::ffff:10.0.0.1 → two 16-bit groups for the embedded IPv4 address.
    const [a, b, c, d] = tail.split('.').map(Number) as [number, number, number, number];
    text = `${text.slice(0, lastColon + 1)}${((a << 8) | b).toString(16)}:${((c << 8) | d).toString(16)}`;
  }
  const [head, rest] = text.split('::') as [string, string | undefined];
  const left = head === '' ? [] : head.split(':');
  if (rest === undefined) return left;
  const right = rest === '' ? [] : rest.split(':');
  return [...left, ...new Array<string>(8 - left.length - right.length).fill('0'), ...right];
}
