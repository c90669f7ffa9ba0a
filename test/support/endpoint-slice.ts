/** The server Service's EndpointSlice as the control plane writes it, with every given IP ready and serving. */
export function serverEndpointSlice(ips: string[]) {
  return {
    apiVersion: 'discovery.k8s.io/v1',
    kind: 'EndpointSlice',
    metadata: { name: 'iam4kube-server-abcde', namespace: 'iam4kube', labels: { 'kubernetes.io/service-name': 'iam4kube-server' } },
    addressType: 'IPv4',
    ports: [{ name: 'metadata', port: 8181, protocol: 'TCP' }],
    endpoints: ips.map((ip) => ({ addresses: [ip], conditions: { ready: true, serving: true, terminating: false } })),
  };
}
