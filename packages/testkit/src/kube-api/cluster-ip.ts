/** Hands out Service cluster IPs from a /12-style IPv4 range, skipping the first (the `kubernetes` service's). */
export interface ClusterIpAllocator {
  allocate(inUse: ReadonlySet<string>): string;
}

function toInt(ip: string): number {
  return ip.split('.').reduce((acc, part) => acc * 256 + Number(part), 0);
}

function toIp(n: number): string {
  return [24, 16, 8, 0].map((shift) => Math.floor(n / 2 ** shift) % 256).join('.');
}

export function createClusterIpAllocator(cidr = '10.96.0.0/12'): ClusterIpAllocator {
  const [base, bits] = cidr.split('/');
  const first = toInt(base ?? '10.96.0.0');
  const size = 2 ** (32 - Number(bits ?? 12));
  let next = 10;
  return {
    allocate(inUse) {
      for (let tries = 0; tries < size; tries++) {
        const candidate = toIp(first + next);
        next = next + 1 >= size - 1 ? 2 : next + 1;
        if (!inUse.has(candidate)) return candidate;
      }
      throw new Error(`service CIDR ${cidr} is full`);
    },
  };
}
