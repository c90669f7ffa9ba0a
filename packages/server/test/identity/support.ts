import { Writable } from 'node:stream';
import { createLogger, type KubeObject } from '@iam4kube/shared';

export const silentLogger = createLogger({ level: 'silent', stream: new Writable({ write: (_c, _e, cb) => cb() }) });

export function capturingLogger(): { logger: ReturnType<typeof createLogger>; lines: string[] } {
  const lines: string[] = [];
  return { logger: createLogger({ level: 'debug', stream: new Writable({ write: (c, _e, cb) => (lines.push(String(c)), cb()) }) }), lines };
}

export const ROLE_ARN = 'arn:aws:iam::123456789012:role/app-role';

export function podObject(o: { uid: string; ip?: string; rv?: string; sa?: string; hostNetwork?: boolean; namespace?: string; deleting?: boolean }): KubeObject {
  return {
    metadata: {
      uid: o.uid,
      name: `pod-${o.uid}`,
      namespace: o.namespace ?? 'demo',
      resourceVersion: o.rv ?? '100',
      ...(o.deleting ? { deletionTimestamp: '2026-01-01T00:00:00Z' } : {}),
    },
    spec: { serviceAccountName: o.sa ?? 'app', nodeName: 'node-1', hostNetwork: o.hostNetwork ?? false },
    status: { phase: 'Running', ...(o.ip ? { podIP: o.ip, podIPs: [{ ip: o.ip }] } : {}) },
  };
}

export function serviceAccountObject(o: { name?: string; rv: string; roleArn?: string; namespace?: string }): KubeObject {
  return {
    metadata: {
      name: o.name ?? 'app',
      namespace: o.namespace ?? 'demo',
      uid: `sa-${o.name ?? 'app'}`,
      resourceVersion: o.rv,
      ...(o.roleArn ? { annotations: { 'iam.amazonaws.com/roleArn': o.roleArn } } : {}),
    },
  };
}
