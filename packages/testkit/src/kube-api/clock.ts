// The emulator takes the project's Clock (a ManualClock in tests); only the API server's time format lives here.
export type { Clock, Timer } from '@iam4kube/shared';
export { systemClock } from '@iam4kube/shared';

/** RFC 3339 with second precision, as the API server writes metav1.Time. */
export function formatTime(ms: number): string {
  return new Date(Math.floor(ms / 1000) * 1000).toISOString().replace('.000Z', 'Z');
}
