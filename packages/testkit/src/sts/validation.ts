/**
 * Input validation for AssumeRole, with AWS's constraints (from the STS service model) and AWS's way of reporting
 * them: every violated constraint is listed in one ValidationError,
 * "2 validation errors detected: Value 'a' at 'roleSessionName' failed to satisfy constraint: Member must have
 * length greater than or equal to 2; Value '899' at 'durationSeconds' failed to satisfy constraint: ...".
 * Pure.
 */
import { stsError } from './errors.js';
import type { StsError } from './errors.js';
import { readStringList, readStructList } from './query-params.js';
import type { QueryParams } from './query-params.js';

export interface Tag {
  readonly key: string;
  readonly value: string;
}

export interface AssumeRoleInput {
  readonly roleArn: string;
  readonly roleSessionName: string;
  readonly externalId?: string;
  readonly durationSeconds?: number;
  readonly tags: readonly Tag[];
  readonly transitiveTagKeys: readonly string[];
  readonly sourceIdentity?: string;
  readonly policy?: string;
  readonly policyArns: readonly string[];
}

export interface Violation {
  /** The value as AWS quotes it; null for a missing required member. */
  readonly value: string | null;
  /** The member path as AWS names it: `roleSessionName`, `tags.1.member.key`. */
  readonly member: string;
  readonly constraint: string;
}

export interface StringRule {
  readonly required?: boolean;
  readonly min?: number;
  readonly max?: number;
  /** The pattern as the service model spells it (quoted in messages); matched against the whole value. */
  readonly pattern?: string;
}

export const RULES = {
  roleArn: { required: true, min: 20, max: 2048, pattern: '[\\u0009\\u000A\\u000D\\u0020-\\u007E\\u0085\\u00A0-\\uD7FF\\uE000-\\uFFFD\\u10000-\\u10FFFF]+' },
  roleSessionName: { required: true, min: 2, max: 64, pattern: '[\\w+=,.@-]*' },
  externalId: { min: 2, max: 1224, pattern: '[\\w+=,.@:\\/-]*' },
  sourceIdentity: { min: 2, max: 64, pattern: '[\\w+=,.@-]*' },
  tagKey: { required: true, min: 1, max: 128, pattern: '[\\p{L}\\p{Z}\\p{N}_.:/=+\\-@]+' },
  tagValue: { required: true, min: 0, max: 256, pattern: '[\\p{L}\\p{Z}\\p{N}_.:/=+\\-@]*' },
} as const satisfies Record<string, StringRule>;

export const DURATION_MIN = 900;
export const DURATION_MAX = 43_200;
export const MAX_TAGS = 50;

/** The model's Java-style patterns as anchored JavaScript regular expressions. */
const COMPILED = new Map<string, RegExp>();
function compile(pattern: string): RegExp {
  let re = COMPILED.get(pattern);
  if (!re) {
    // The model writes astral code points as \u10000; JavaScript needs \u{10000}.
    re = new RegExp(`^(?:${pattern.replace(/\\u(10[0-9A-F]{4})/gi, '\\u{$1}')})$`, 'u');
    COMPILED.set(pattern, re);
  }
  return re;
}

/** The violations of one string member, in AWS's order: null, minimum length, maximum length, pattern. */
export function checkString(member: string, value: string | undefined, rule: StringRule): Violation[] {
  if (value === undefined) {
    return rule.required ? [{ value: null, member, constraint: 'Member must not be null' }] : [];
  }
  const out: Violation[] = [];
  const length = [...value].length;
  if (rule.min !== undefined && length < rule.min) {
    out.push({ value, member, constraint: `Member must have length greater than or equal to ${rule.min}` });
  }
  if (rule.max !== undefined && length > rule.max) {
    out.push({ value, member, constraint: `Member must have length less than or equal to ${rule.max}` });
  }
  if (rule.pattern !== undefined && !compile(rule.pattern).test(value)) {
    out.push({ value, member, constraint: `Member must satisfy regular expression pattern: ${rule.pattern}` });
  }
  return out;
}

export function checkDuration(raw: string | undefined): Violation[] {
  if (raw === undefined) return [];
  const member = 'durationSeconds';
  if (!/^-?\d+$/.test(raw.trim())) return [{ value: raw, member, constraint: 'Member must be an integer' }];
  const n = Number(raw);
  if (n < DURATION_MIN) return [{ value: raw, member, constraint: `Member must have value greater than or equal to ${DURATION_MIN}` }];
  if (n > DURATION_MAX) return [{ value: raw, member, constraint: `Member must have value less than or equal to ${DURATION_MAX}` }];
  return [];
}

/** "1 validation error detected: ..." / "N validation errors detected: ...; ...". */
export function validationMessage(violations: readonly Violation[]): string {
  const n = violations.length;
  const items = violations.map(
    (v) => `Value ${v.value === null ? 'null' : `'${v.value}'`} at '${v.member}' failed to satisfy constraint: ${v.constraint}`,
  );
  return `${n} validation error${n === 1 ? '' : 's'} detected: ${items.join('; ')}`;
}

export function validationError(violations: readonly Violation[]): StsError {
  return stsError('ValidationError', validationMessage(violations));
}

function listValue(items: readonly string[]): string {
  return `[${items.join(', ')}]`;
}

/** Reads and validates AssumeRole's parameters; throws one ValidationError listing every violation. */
export function readAssumeRoleInput(params: QueryParams): AssumeRoleInput {
  const get = (name: string): string | undefined => params.get(name);
  const rawTags = readStructList(params, 'Tags', ['Key', 'Value']) ?? [];
  const transitive = readStringList(params, 'TransitiveTagKeys') ?? [];
  const violations: Violation[] = [
    ...checkString('roleArn', get('RoleArn'), RULES.roleArn),
    ...checkString('roleSessionName', get('RoleSessionName'), RULES.roleSessionName),
    ...checkDuration(get('DurationSeconds')),
  ];
  if (rawTags.length > MAX_TAGS) {
    violations.push({
      value: listValue(rawTags.map((t) => `Tag(Key=${t.Key ?? ''}, Value=${t.Value ?? ''})`)),
      member: 'tags',
      constraint: `Member must have length less than or equal to ${MAX_TAGS}`,
    });
  }
  rawTags.forEach((tag, i) => {
    violations.push(...checkString(`tags.${i + 1}.member.key`, tag.Key, RULES.tagKey));
    violations.push(...checkString(`tags.${i + 1}.member.value`, tag.Value, RULES.tagValue));
  });
  if (transitive.length > MAX_TAGS) {
    violations.push({ value: listValue(transitive), member: 'transitiveTagKeys', constraint: `Member must have length less than or equal to ${MAX_TAGS}` });
  }
  transitive.forEach((key, i) => violations.push(...checkString(`transitiveTagKeys.${i + 1}.member`, key, RULES.tagKey)));
  violations.push(...checkString('externalId', get('ExternalId'), RULES.externalId));
  // The pattern has no ':', so it also enforces the documented rule that a source identity cannot start with "aws:".
  violations.push(...checkString('sourceIdentity', get('SourceIdentity'), RULES.sourceIdentity));
  if (violations.length > 0) throw validationError(violations);

  const tags = rawTags.map((t) => ({ key: t.Key ?? '', value: t.Value ?? '' }));
  const seen = new Set<string>();
  for (const tag of tags) {
    const key = tag.key.toLowerCase();
    if (seen.has(key)) {
      throw stsError('ValidationError', 'Duplicate tag keys found. Please note that Tag keys are case insensitive.');
    }
    seen.add(key);
  }
  const duration = get('DurationSeconds');
  const input: AssumeRoleInput = {
    roleArn: get('RoleArn') ?? '',
    roleSessionName: get('RoleSessionName') ?? '',
    tags,
    transitiveTagKeys: transitive,
    policyArns: (readStructList(params, 'PolicyArns', ['arn']) ?? []).map((p) => p.arn ?? ''),
    ...(get('ExternalId') !== undefined && { externalId: get('ExternalId') }),
    ...(duration !== undefined && { durationSeconds: Number(duration) }),
    ...(get('SourceIdentity') !== undefined && { sourceIdentity: get('SourceIdentity') }),
    ...(get('Policy') !== undefined && { policy: get('Policy') }),
  };
  return input;
}
