/**
 * Field selectors with the grammar of k8s.io/apimachinery/pkg/fields: `f=v`, `f==v`, `f!=v`, comma-joined (AND);
 * `\,`, `\=`, `\!` and `\\` escape those characters in values. Which fields exist is the resource table's business.
 */
export interface FieldRequirement {
  readonly field: string;
  readonly operator: '=' | '!=';
  readonly value: string;
}

export type FieldSelector = readonly FieldRequirement[];

export class FieldSelectorError extends Error {}

function splitTerms(input: string): string[] {
  const terms: string[] = [];
  let current = '';
  for (let i = 0; i < input.length; i++) {
    const ch = input[i]!;
    if (ch === '\\' && i + 1 < input.length) {
      current += ch + input[i + 1]!;
      i++;
    } else if (ch === ',') {
      terms.push(current);
      current = '';
    } else {
      current += ch;
    }
  }
  terms.push(current);
  return terms;
}

function unescape(value: string): string {
  let out = '';
  for (let i = 0; i < value.length; i++) {
    const ch = value[i]!;
    if (ch === '\\') {
      const next = value[i + 1];
      if (next === undefined || !'\\,=!'.includes(next)) throw new FieldSelectorError(`invalid field selector value: ${value}`);
      out += next;
      i++;
    } else if (ch === ',' || ch === '=') {
      throw new FieldSelectorError(`invalid field selector value: ${value}: unescaped ${ch}`);
    } else {
      out += ch;
    }
  }
  return out;
}

export function parseFieldSelector(input: string): FieldSelector {
  if (input.trim() === '') return [];
  return splitTerms(input).map((term): FieldRequirement => {
    for (let i = 0; i < term.length; i++) {
      if (term[i] === '\\') {
        i++;
        continue;
      }
      for (const op of ['!=', '==', '='] as const) {
        if (term.startsWith(op, i)) {
          return { field: term.slice(0, i), operator: op === '!=' ? '!=' : '=', value: unescape(term.slice(i + op.length)) };
        }
      }
    }
    throw new FieldSelectorError(`invalid selector: '${input}'; can't understand '${term}'`);
  });
}

export function matchesFields(selector: FieldSelector, read: (field: string) => string): boolean {
  return selector.every((req) => (read(req.field) === req.value) === (req.operator === '='));
}
