import type { StatusCause } from './errors.js';
import { labelKeyError, labelValueError } from './label-selector.js';
import type { KubeObject } from './object.js';
import type { NameRule } from './resources.js';

const SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
const LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const DNS1035 = /^[a-z]([-a-z0-9]*[a-z0-9])?$/;

const RULES: Record<NameRule, (name: string) => string | undefined> = {
  subdomain: (name) =>
    name.length <= 253 && SUBDOMAIN.test(name)
      ? undefined
      : "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character (e.g. 'example.com', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')",
  label: (name) =>
    name.length <= 63 && LABEL.test(name)
      ? undefined
      : "a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start and end with an alphanumeric character (e.g. 'my-name',  or '123-abc', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?')",
  dns1035: (name) =>
    name.length <= 63 && DNS1035.test(name)
      ? undefined
      : "a DNS-1035 label must consist of lower case alphanumeric characters or '-', start with an alphabetic character, and end with an alphanumeric character (e.g. 'my-name',  or 'abc-123', regex used for validation is '[a-z]([-a-z0-9]*[a-z0-9])?')",
  segment: (name) =>
    name === '.' || name === '..' || name.includes('/') || name.includes('%')
      ? "may not be '.' or '..' and may not contain '/' or '%'"
      : undefined,
};

function invalidValue(field: string, value: string, why: string): StatusCause {
  return { reason: 'FieldValueInvalid', message: `Invalid value: ${JSON.stringify(value)}: ${why}`, field };
}

/** The metadata checks the real server makes on every write; an empty list means valid. */
export function validateMetadata(obj: KubeObject, rule: NameRule, namespaced: boolean): StatusCause[] {
  const causes: StatusCause[] = [];
  const name = obj.metadata.name ?? '';
  if (name === '') {
    causes.push({ reason: 'FieldValueRequired', message: 'Required value: name or generateName is required', field: 'metadata.name' });
  } else {
    const why = RULES[rule](name);
    if (why) causes.push(invalidValue('metadata.name', name, why));
  }
  if (namespaced && (obj.metadata.namespace ?? '') === '') {
    causes.push({ reason: 'FieldValueRequired', message: 'Required value', field: 'metadata.namespace' });
  }
  for (const [key, value] of Object.entries(obj.metadata.labels ?? {})) {
    const keyWhy = labelKeyError(key);
    if (keyWhy) causes.push(invalidValue('metadata.labels', key, keyWhy));
    if (typeof value !== 'string') {
      causes.push(invalidValue('metadata.labels', String(value), 'label values must be strings'));
      continue;
    }
    const valueWhy = labelValueError(value);
    if (valueWhy) causes.push(invalidValue('metadata.labels', value, valueWhy));
  }
  for (const [key, value] of Object.entries(obj.metadata.annotations ?? {})) {
    const keyWhy = labelKeyError(key);
    if (keyWhy) causes.push(invalidValue('metadata.annotations', key, keyWhy));
    if (typeof value !== 'string') causes.push(invalidValue(`metadata.annotations.${key}`, String(value), 'must be a string'));
  }
  return causes;
}
