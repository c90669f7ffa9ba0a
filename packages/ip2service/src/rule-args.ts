/**
 * Rules as argument lists, and the text form iptables-save/`iptables -S` print and iptables-restore reads: words
 * separated by spaces, a word with spaces or quotes double-quoted with `\"` and `\\` escapes.
 */

/** Splits one line of `iptables -S`/iptables-restore text into words, undoing the quoting. */
export function splitRuleLine(line: string): string[] {
  const words: string[] = [];
  let i = 0;
  while (i < line.length) {
    while (i < line.length && /\s/.test(line[i]!)) i++;
    if (i >= line.length) break;
    let word = '';
    while (i < line.length && !/\s/.test(line[i]!)) {
      if (line[i] !== '"') {
        word += line[i++];
        continue;
      }
      i++; // opening quote
      while (i < line.length && line[i] !== '"') {
        if (line[i] === '\\' && i + 1 < line.length) i++;
        word += line[i++];
      }
      if (i >= line.length) throw new Error(`unterminated quote in ${JSON.stringify(line)}`);
      i++; // closing quote
    }
    words.push(word);
  }
  return words;
}

/** Joins words into one line, quoting like iptables does, so splitRuleLine(formatRuleArgs(a)) equals a. */
export function formatRuleArgs(args: readonly string[]): string {
  return args.map(quoteWord).join(' ');
}

function quoteWord(word: string): string {
  if (word !== '' && !/[\s"\\']/.test(word)) return word;
  return `"${word.replace(/[\\"]/g, (c) => `\\${c}`)}"`;
}

/** The chain or target a rule jumps to (`-j X` or `--jump X`), or undefined. */
export function jumpTarget(args: readonly string[]): string | undefined {
  const at = args.findIndex((a) => a === '-j' || a === '--jump');
  return at >= 0 ? args[at + 1] : undefined;
}

export function sameArgs(a: readonly string[], b: readonly string[]): boolean {
  return a.length === b.length && a.every((word, i) => word === b[i]);
}
