/**
 * Label selectors with the grammar of k8s.io/apimachinery/pkg/labels: `a=b`, `a==b`, `a!=b`, `a in (x,y)`,
 * `a notin (x)`, `a`, `!a`, `a>1`, `a<1`, comma-joined (AND). Pure: parse once, match many times.
 */
export type LabelOperator = 'exists' | '!' | '=' | '!=' | 'in' | 'notin' | '>' | '<';

export interface LabelRequirement {
  readonly key: string;
  readonly operator: LabelOperator;
  readonly values: readonly string[];
}

export type LabelSelector = readonly LabelRequirement[];

export class SelectorParseError extends Error {}

type Token = { type: 'id'; text: string } | { type: 'op'; text: string } | { type: 'end' };

const SPECIAL = new Set([' ', '\t', '\n', ',', '(', ')', '=', '!', '<', '>']);

function tokenize(input: string): Token[] {
  const tokens: Token[] = [];
  let i = 0;
  while (i < input.length) {
    const ch = input[i]!;
    if (ch === ' ' || ch === '\t' || ch === '\n') {
      i++;
    } else if (ch === '!' && input[i + 1] === '=') {
      tokens.push({ type: 'op', text: '!=' });
      i += 2;
    } else if (ch === '=' && input[i + 1] === '=') {
      tokens.push({ type: 'op', text: '==' });
      i += 2;
    } else if (SPECIAL.has(ch)) {
      tokens.push({ type: 'op', text: ch });
      i++;
    } else {
      let j = i;
      while (j < input.length && !SPECIAL.has(input[j]!)) j++;
      const text = input.slice(i, j);
      tokens.push(text === 'in' || text === 'notin' ? { type: 'op', text } : { type: 'id', text });
      i = j;
    }
  }
  tokens.push({ type: 'end' });
  return tokens;
}

const NAME = /^([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]$/;
const DNS_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;

/** Why a label key is invalid (the real validation messages, shortened), or undefined when it is fine. */
export function labelKeyError(key: string): string | undefined {
  const slash = key.indexOf('/');
  const prefix = slash >= 0 ? key.slice(0, slash) : undefined;
  const name = slash >= 0 ? key.slice(slash + 1) : key;
  if (prefix !== undefined && (prefix.length > 253 || !DNS_SUBDOMAIN.test(prefix))) {
    return `prefix part must be a lowercase RFC 1123 subdomain`;
  }
  if (name.length === 0 || name.length > 63 || !NAME.test(name)) {
    return `name part must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character`;
  }
  return undefined;
}

export function labelValueError(value: string): string | undefined {
  if (value === '') return undefined;
  if (value.length > 63 || !NAME.test(value)) {
    return `a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character`;
  }
  return undefined;
}

export function parseLabelSelector(input: string): LabelSelector {
  const tokens = tokenize(input);
  let pos = 0;
  const peek = (): Token => tokens[pos]!;
  const fail = (why: string): never => {
    throw new SelectorParseError(`unable to parse requirement: ${why}`);
  };
  const requirements: LabelRequirement[] = [];
  if (peek().type === 'end') return requirements;
  for (;;) {
    requirements.push(parseRequirement());
    const t = peek();
    if (t.type === 'end') break;
    if (t.type === 'op' && t.text === ',') {
      pos++;
      continue;
    }
    fail(`found '${t.type === 'op' || t.type === 'id' ? t.text : ''}', expected: ',' or 'end of string'`);
  }
  return requirements;

  function key(): string {
    const t = peek();
    if (t.type !== 'id') return fail(`found '${t.type === 'end' ? '' : t.text}', expected: identifier`);
    pos++;
    const why = labelKeyError(t.text);
    if (why) fail(`invalid label key "${t.text}": ${why}`);
    return t.text;
  }

  function value(): string {
    const t = peek();
    if (t.type !== 'id') return '';
    pos++;
    const why = labelValueError(t.text);
    if (why) fail(`invalid label value: "${t.text}": ${why}`);
    return t.text;
  }

  function parseRequirement(): LabelRequirement {
    const first = peek();
    if (first.type === 'op' && first.text === '!') {
      pos++;
      return { key: key(), operator: '!', values: [] };
    }
    const k = key();
    const op = peek();
    if (op.type === 'end' || (op.type === 'op' && op.text === ',')) return { key: k, operator: 'exists', values: [] };
    if (op.type !== 'op') return fail(`found '${op.text}', expected: in, notin, =, ==, !=, gt, lt`);
    pos++;
    switch (op.text) {
      case '=':
      case '==':
        return { key: k, operator: '=', values: [value()] };
      case '!=':
        return { key: k, operator: '!=', values: [value()] };
      case '>':
      case '<': {
        const v = value();
        if (!/^-?\d+$/.test(v)) fail(`for 'Gt', 'Lt' operators, the value must be an integer`);
        return { key: k, operator: op.text, values: [v] };
      }
      case 'in':
      case 'notin':
        return { key: k, operator: op.text, values: valueSet() };
      default:
        return fail(`found '${op.text}', expected: in, notin, =, ==, !=, gt, lt`);
    }
  }

  function valueSet(): string[] {
    const open = peek();
    if (open.type !== 'op' || open.text !== '(') return fail(`found '${open.type === 'end' ? '' : open.text}', expected: '('`);
    pos++;
    const values: string[] = [];
    for (;;) {
      values.push(value());
      const t = peek();
      pos++;
      if (t.type === 'op' && t.text === ')') break;
      if (!(t.type === 'op' && t.text === ',')) fail(`found '${t.type === 'end' ? '' : t.text}', expected: ',' or ')'`);
    }
    if (values.length === 1 && values[0] === '' ) fail(`for 'in', 'notin' operators, values set can't be empty`);
    return values;
  }
}

export function matchesLabels(selector: LabelSelector, labels: Readonly<Record<string, string>> | undefined): boolean {
  const set = labels ?? {};
  return selector.every((req) => {
    const has = Object.prototype.hasOwnProperty.call(set, req.key);
    const actual = has ? set[req.key]! : undefined;
    switch (req.operator) {
      case 'exists':
        return has;
      case '!':
        return !has;
      case '=':
      case 'in':
        return has && req.values.includes(actual!);
      case '!=':
      case 'notin':
        return !has || !req.values.includes(actual!);
      case '>':
      case '<': {
        if (!has || !/^-?\d+$/.test(actual!)) return false;
        const a = Number(actual);
        const b = Number(req.values[0]);
        return req.operator === '>' ? a > b : a < b;
      }
    }
  });
}
