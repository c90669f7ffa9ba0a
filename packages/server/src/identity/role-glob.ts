/**
 * kube2iam's glob (github.com/ryanuber/go-glob): `*` is the only special character and matches any run of
 * characters, `/` and the empty run included; everything else matches itself, case-sensitively. No `?`, no classes,
 * no escapes. Linear in the subject for each literal part (leftmost match of each middle part is always safe for
 * `*`-only patterns), so a pattern cannot be made to backtrack.
 *
 * One deliberate difference: go-glob accepts a subject that ends before the last literal part (`a*b` matches `a`);
 * here the prefix and the suffix may not overlap, so `a*b` needs an `a`, then a `b`.
 */
export function globMatch(pattern: string, subject: string): boolean {
  const parts = pattern.split('*');
  if (parts.length === 1) return pattern === subject;
  const first = parts[0]!;
  const last = parts[parts.length - 1]!;
  if (first.length + last.length > subject.length) return false;
  if (!subject.startsWith(first) || !subject.endsWith(last)) return false;
  let at = first.length;
  const end = subject.length - last.length;
  for (let i = 1; i < parts.length - 1; i++) {
    const part = parts[i]!;
    if (part === '') continue;
    const found = subject.indexOf(part, at);
    if (found < 0 || found + part.length > end) return false;
    at = found + part.length;
  }
  return true;
}
