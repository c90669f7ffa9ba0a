export type { Clock, Timer } from './clock.js';
export { systemClock, sleep } from './clock.js';
export { ManualClock, flushMicrotasks } from './manual-clock.js';
export { sharedTimerClock } from './shared-timer-clock.js';
export { ConfigError, CONFIG_ERROR_EXIT_CODE } from './errors.js';
export { parseDuration } from './duration.js';
export type { Flag, FlagSpecs, FlagValues, ParsedArgs, ParseOptions, FlagRow } from './flags.js';
export {
  stringFlag,
  optionalStringFlag,
  intFlag,
  numberFlag,
  durationFlag,
  boolFlag,
  enumFlag,
  parseFlags,
  describeFlags,
  helpText,
  flagName,
  formatDuration,
} from './flags.js';
export type { Logger, LoggerOptions } from './logger.js';
export { createLogger, LOG_LEVELS, REDACT_PATHS } from './logger.js';
export type { Registry, MetricsRegistryOptions } from './metrics.js';
export { createMetricsRegistry } from './metrics.js';
export type { HistogramSeries, BucketHistogramOptions } from './bucket-histogram.js';
export { BucketHistogram } from './bucket-histogram.js';
export type { ProbeResult, Probes, AuxServerOptions } from './aux-server.js';
export { AuxServer } from './aux-server.js';
export type { ListenOptions } from './listen.js';
export { listen, closeServer } from './listen.js';
export { createUniformServer } from './uniform-http.js';
export type { SignalHandlingOptions } from './lifecycle.js';
export { handleSignals } from './lifecycle.js';
export type { KubeConfigSource } from './kube-config.js';
export { runMain } from './run-main.js';
export type { KubeObject, WatchEvent, WatchEventType, ListResult } from './kube-object.js';
export { KubeApiError } from './kube-object.js';
export type { ListWatcher, ReflectorSink, ReflectorOptions } from './reflector.js';
export { Reflector } from './reflector.js';
export type { ResourceQuery } from './kube-list-watcher.js';
// The Kubernetes client adapters are in '@iam4kube/shared/kube' (kube.ts says why).
export { listAll } from './list-all.js';
