/** The demo has no kubelet: it reports the IPs named by this annotation as the pods' status, as a kubelet would. */
export const POD_IP_ANNOTATION = 'demo.iam4kube.io/pod-ip';

interface PodLike {
  metadata?: { name?: string; namespace?: string; annotations?: Record<string, string> };
}

/**
 * Plays the kubelet through the API, like `kubectl patch pod --subresource=status`: every pod carrying the annotation
 * becomes Running with that IP.
 */
export async function reportPodIps(apiUrl: string): Promise<number> {
  const list = (await (await fetch(`${apiUrl}/api/v1/pods`)).json()) as { items: PodLike[] };
  let reported = 0;
  for (const pod of list.items) {
    const ip = pod.metadata?.annotations?.[POD_IP_ANNOTATION];
    if (!ip) continue;
    const path = `/api/v1/namespaces/${pod.metadata!.namespace}/pods/${pod.metadata!.name}/status`;
    const response = await fetch(`${apiUrl}${path}`, {
      method: 'PATCH',
      headers: { 'content-type': 'application/merge-patch+json' },
      body: JSON.stringify({
        status: {
          phase: 'Running',
          podIP: ip,
          podIPs: [{ ip }],
          conditions: [{ type: 'Ready', status: 'True' }],
        },
      }),
    });
    if (!response.ok) throw new Error(`PATCH ${path}: ${response.status} ${await response.text()}`);
    reported++;
  }
  return reported;
}
