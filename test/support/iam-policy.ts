import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { repoRoot } from '@iam4kube/testkit';

/** The parts of an IAM policy document the examples use. */
export interface PolicyStatement {
  readonly Sid?: string;
  readonly Effect: 'Allow' | 'Deny';
  readonly Principal?: { readonly AWS: string };
  readonly Action: string | readonly string[];
  readonly Resource?: string | readonly string[];
  readonly Condition?: Readonly<Record<string, Readonly<Record<string, string>>>>;
}
export interface PolicyDocument {
  readonly Version: string;
  readonly Statement: readonly PolicyStatement[];
}

export const IAM_EXAMPLES = () => join(repoRoot(), 'manifests', 'examples', 'iam');

/** Every policy of manifests/examples/iam, by file name. */
export function examplePolicies(): Map<string, PolicyDocument> {
  const dir = IAM_EXAMPLES();
  return new Map(
    readdirSync(dir)
      .filter((f) => f.endsWith('.json'))
      .sort()
      .map((f) => [f, JSON.parse(readFileSync(join(dir, f), 'utf8')) as PolicyDocument]),
  );
}

export const list = (v: string | readonly string[] | undefined): readonly string[] => (v === undefined ? [] : typeof v === 'string' ? [v] : v);

/** IAM's wildcard match for Resource and Action (`*` any run of characters, `?` one). */
export function iamMatch(pattern: string, value: string): boolean {
  const re = new RegExp(`^${pattern.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*').replace(/\?/g, '.')}$`);
  return re.test(value);
}

/** The request context keys an AssumeRole call sets, as IAM names them in conditions. */
export function assumeRoleContext(params: { ExternalId?: string; SourceIdentity?: string; Tags?: ReadonlyArray<{ Key: string; Value: string }> }): Map<string, string> {
  const context = new Map<string, string>();
  if (params.ExternalId !== undefined) context.set('sts:ExternalId', params.ExternalId);
  if (params.SourceIdentity !== undefined) context.set('sts:SourceIdentity', params.SourceIdentity);
  for (const tag of params.Tags ?? []) context.set(`aws:RequestTag/${tag.Key}`, tag.Value);
  return context;
}

/**
 * Why a statement's StringEquals conditions do not hold for this context (empty when they all hold). The examples
 * use StringEquals only; any other operator is reported rather than guessed at.
 */
export function conditionFailures(statement: PolicyStatement, context: ReadonlyMap<string, string>): string[] {
  const failures: string[] = [];
  for (const [operator, conditions] of Object.entries(statement.Condition ?? {})) {
    if (operator !== 'StringEquals') {
      failures.push(`operator ${operator} is not evaluated here`);
      continue;
    }
    for (const [key, expected] of Object.entries(conditions)) {
      if (context.get(key) !== expected) failures.push(`${key}: expected ${expected}, the request has ${context.get(key) ?? 'nothing'}`);
    }
  }
  return failures;
}
