/**
 * One shared copy of each repeated string (namespace, ServiceAccount and node names): 150,000 pods name a few
 * thousand distinct ones, and JSON.parse makes a fresh copy for every pod. Reference-counted, so names of nodes and
 * namespaces that are gone are forgotten rather than kept for the life of the process.
 */
export class StringInterner {
  readonly #entries = new Map<string, { readonly value: string; refs: number }>();

  /** Distinct strings held. */
  get size(): number {
    return this.#entries.size;
  }

  /** The shared copy of `value`; counts one more reference to it. */
  intern(value: string): string {
    const entry = this.#entries.get(value);
    if (entry) {
      entry.refs++;
      return entry.value;
    }
    this.#entries.set(value, { value, refs: 1 });
    return value;
  }

  /** Drops one reference taken by intern(). */
  release(value: string): void {
    const entry = this.#entries.get(value);
    if (entry && --entry.refs <= 0) this.#entries.delete(value);
  }
}
