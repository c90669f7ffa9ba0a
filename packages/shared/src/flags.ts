import { ConfigError } from './errors.js';
import { parseDuration } from './duration.js';

/**
 * A declarative command-line flag. The same definitions parse argv and the environment, print --help, and generate
 * the configuration reference in docs, so the three cannot drift apart.
 */
export interface Flag<T> {
  readonly type: string;
  readonly description: string;
  /** Environment variable read when the flag is not on the command line. */
  readonly env?: string;
  readonly default: T;
  /** Shown in --help instead of the raw default (e.g. for durations). */
  readonly defaultText?: string;
  readonly isBoolean?: boolean;
  parse(raw: string): T;
}

interface Common<T> {
  readonly description: string;
  readonly env?: string;
  readonly default: T;
}

export function stringFlag(o: Common<string> & { validate?: (v: string) => string | undefined }): Flag<string> {
  return { type: 'string', ...o, parse: (raw) => check(raw, o.validate) };
}

export function optionalStringFlag(o: Omit<Common<undefined>, 'default'>): Flag<string | undefined> {
  return { type: 'string', ...o, default: undefined, parse: (raw) => (raw === '' ? undefined : raw) };
}

export function intFlag(o: Common<number> & { min?: number; max?: number }): Flag<number> {
  return {
    type: 'int',
    ...o,
    parse(raw) {
      if (!/^-?\d+$/.test(raw.trim())) throw new Error(`"${raw}" is not an integer`);
      return inRange(Number(raw), o.min, o.max);
    },
  };
}

export function numberFlag(o: Common<number> & { min?: number; max?: number }): Flag<number> {
  return {
    type: 'number',
    ...o,
    parse(raw) {
      const n = Number(raw);
      if (raw.trim() === '' || !Number.isFinite(n)) throw new Error(`"${raw}" is not a number`);
      return inRange(n, o.min, o.max);
    },
  };
}

/** A duration such as `15s`, `500ms`, `1h30m`, parsed to milliseconds. */
export function durationFlag(o: Common<number> & { min?: number; max?: number }): Flag<number> {
  return {
    type: 'duration',
    ...o,
    defaultText: formatDuration(o.default),
    parse: (raw) => inRange(parseDuration(raw), o.min, o.max, formatDuration),
  };
}

export function boolFlag(o: Common<boolean>): Flag<boolean> {
  return {
    type: 'bool',
    ...o,
    isBoolean: true,
    parse(raw) {
      if (/^(true|1|yes)$/i.test(raw)) return true;
      if (/^(false|0|no)$/i.test(raw)) return false;
      throw new Error(`"${raw}" is not a boolean (true or false)`);
    },
  };
}

export function enumFlag<const V extends string>(o: Common<V> & { values: readonly V[] }): Flag<V> {
  return {
    type: o.values.join('|'),
    ...o,
    parse(raw) {
      if (!(o.values as readonly string[]).includes(raw)) throw new Error(`"${raw}" is not one of ${o.values.join(', ')}`);
      return raw as V;
    },
  };
}

export type FlagSpecs = Record<string, Flag<unknown>>;
export type FlagValues<S extends FlagSpecs> = { -readonly [K in keyof S]: S[K] extends Flag<infer T> ? T : never };

export type ParsedArgs<S extends FlagSpecs> =
  | { readonly kind: 'help' }
  | { readonly kind: 'run'; readonly values: FlagValues<S>; readonly positionals: string[] };

export interface ParseOptions {
  readonly env?: Readonly<Record<string, string | undefined>>;
  /** How many positional arguments (e.g. a sub-command) are allowed. */
  readonly maxPositionals?: number;
}

/** `sts-rate` for the key `stsRate`. */
export function flagName(key: string): string {
  return key.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`);
}

/** Parses `--name value`, `--name=value` and bare boolean flags; the environment fills in what argv does not set. */
export function parseFlags<S extends FlagSpecs>(specs: S, argv: readonly string[], options: ParseOptions = {}): ParsedArgs<S> {
  const byName = new Map(Object.keys(specs).map((key) => [flagName(key), key]));
  const raw = new Map<string, string>();
  const positionals: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (arg === '--help' || arg === '-h') return { kind: 'help' };
    if (!arg.startsWith('--')) {
      positionals.push(arg);
      continue;
    }
    const eq = arg.indexOf('=');
    const name = arg.slice(2, eq === -1 ? undefined : eq);
    const key = byName.get(name);
    if (key === undefined) throw new ConfigError(`unknown flag --${name} (see --help)`);
    let value: string;
    if (eq !== -1) value = arg.slice(eq + 1);
    else if (specs[key]!.isBoolean) value = 'true';
    else {
      const next = argv[++i];
      if (next === undefined) throw new ConfigError(`flag --${name} needs a value`);
      value = next;
    }
    raw.set(key, value);
  }
  if (positionals.length > (options.maxPositionals ?? 0)) {
    throw new ConfigError(`unexpected argument "${positionals[options.maxPositionals ?? 0]}" (see --help)`);
  }
  const env = options.env ?? {};
  const values: Record<string, unknown> = {};
  for (const [key, spec] of Object.entries(specs)) {
    const fromArgv = raw.get(key);
    const fromEnv = spec.env === undefined ? undefined : env[spec.env];
    const source = fromArgv !== undefined ? `--${flagName(key)}` : spec.env;
    const text = fromArgv ?? (fromEnv === '' ? undefined : fromEnv);
    if (text === undefined) {
      values[key] = spec.default;
      continue;
    }
    try {
      values[key] = spec.parse(text);
    } catch (err) {
      throw new ConfigError(`invalid value for ${source}: ${(err as Error).message}`);
    }
  }
  return { kind: 'run', values: values as FlagValues<S>, positionals };
}

export interface FlagRow {
  readonly flag: string;
  readonly type: string;
  readonly env: string | undefined;
  readonly default: string;
  readonly description: string;
}

/** One row per flag, for --help and for the generated configuration reference. */
export function describeFlags(specs: FlagSpecs): FlagRow[] {
  return Object.entries(specs).map(([key, spec]) => ({
    flag: `--${flagName(key)}`,
    type: spec.type,
    env: spec.env,
    default: spec.defaultText ?? (spec.default === undefined ? '' : String(spec.default)),
    description: spec.description,
  }));
}

export function helpText(specs: FlagSpecs, usage: string): string {
  const lines = [usage, '', 'Flags (each may also be set by the environment variable shown):'];
  for (const row of describeFlags(specs)) {
    const head = `  ${row.flag} ${row.type === 'bool' ? '' : `<${row.type}>`}`.trimEnd();
    const meta = [row.env ? `env ${row.env}` : '', row.default !== '' ? `default ${row.default}` : '']
      .filter(Boolean)
      .join(', ');
    lines.push(head, `      ${row.description}${meta ? ` (${meta})` : ''}`);
  }
  lines.push('  --help', '      Print this help and exit.');
  return lines.join('\n') + '\n';
}

function check(raw: string, validate?: (v: string) => string | undefined): string {
  const problem = validate?.(raw);
  if (problem) throw new Error(problem);
  return raw;
}

function inRange(n: number, min?: number, max?: number, show: (n: number) => string = String): number {
  if (min !== undefined && n < min) throw new Error(`${show(n)} is below the minimum ${show(min)}`);
  if (max !== undefined && n > max) throw new Error(`${show(n)} is above the maximum ${show(max)}`);
  return n;
}

export function formatDuration(ms: number): string {
  if (ms === 0) return '0s';
  if (ms % 3_600_000 === 0) return `${ms / 3_600_000}h`;
  if (ms % 60_000 === 0) return `${ms / 60_000}m`;
  if (ms % 1000 === 0) return `${ms / 1000}s`;
  return `${ms}ms`;
}
