const UNITS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 };

/** Parses Go-style durations (`500ms`, `15s`, `1h30m`) into milliseconds. A bare number is not accepted. */
export function parseDuration(text: string): number {
  const trimmed = text.trim();
  if (trimmed === '0') return 0;
  const re = /(\d+(?:\.\d+)?)(ms|s|m|h)/gy;
  let total = 0;
  let end = 0;
  let match: RegExpExecArray | null;
  while ((match = re.exec(trimmed)) !== null) {
    total += Number(match[1]) * UNITS[match[2]!]!;
    end = re.lastIndex;
  }
  if (end === 0 || end !== trimmed.length) {
    throw new Error(`"${text}" is not a duration (examples: 500ms, 15s, 5m, 1h30m)`);
  }
  return Math.round(total);
}
