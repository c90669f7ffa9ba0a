import test from 'ava';
import { usableAt, type Entry } from '../../src/credentials/entry.js';

const MARGIN = 5 * 60_000;
const withExpiry = (expiration: number): Entry => ({ current: { expiration } }) as unknown as Entry;

test('usable only while more than the margin is left by the whole-second expiry clients read', (t) => {
  const now = 1_800_000_000_000;
  t.true(usableAt(withExpiry(now + MARGIN + 1000), now, MARGIN));
  // 5 min 0.7 s left in milliseconds, but the document says 5 min 0 s (seconds rounded down): not served.
  t.false(usableAt(withExpiry(now + MARGIN + 700), now, MARGIN));
  t.false(usableAt(withExpiry(now + MARGIN), now, MARGIN));
  t.false(usableAt({ current: undefined } as unknown as Entry, now, MARGIN));
  // A clock between seconds: 5 min 1 s by the document, 5 min 0.5 s from now.
  t.true(usableAt(withExpiry(now + MARGIN + 1000), now + 499, MARGIN));
  t.false(usableAt(withExpiry(now + MARGIN + 1000), now + 1000, MARGIN));
});
