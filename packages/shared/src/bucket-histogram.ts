import type { Registry } from 'prom-client';

/** One label set's series: observing is a bucket search and three additions, nothing allocated, no label hashing. */
export interface HistogramSeries {
  observe(value: number): void;
}

export interface BucketHistogramOptions<L extends string> {
  readonly name: string;
  readonly help: string;
  readonly labelNames: readonly L[];
  /** Upper bounds, ascending (+Inf is implied). */
  readonly buckets: readonly number[];
  readonly registers: readonly Registry[];
}

interface Series {
  readonly labels: Readonly<Record<string, string>>;
  /** Per bucket, not cumulative; the last slot is +Inf. */
  readonly counts: Float64Array;
  sum: number;
  count: number;
}

/**
 * A Prometheus histogram for hot paths, exported exactly as prom-client's Histogram is (same lines, same order) and
 * registered in a prom-client Registry: the caller takes a series once per label set (`series(...)`) and each
 * observation then costs a few arithmetic operations, where prom-client validates and hashes the labels on every
 * observe (a measurable share of a request that is answered from memory; docs/performance.md).
 */
export class BucketHistogram<L extends string> {
  readonly name: string;
  readonly help: string;
  readonly type = 'histogram';
  readonly aggregator = 'sum';
  readonly #labelNames: readonly L[];
  readonly #bounds: Float64Array;
  readonly #series = new Map<string, Series>();

  constructor(o: BucketHistogramOptions<L>) {
    if (o.buckets.some((b, i) => !Number.isFinite(b) || (i > 0 && b <= o.buckets[i - 1]!))) {
      throw new Error(`${o.name}: buckets must be finite and ascending`);
    }
    this.name = o.name;
    this.help = o.help;
    this.#labelNames = o.labelNames;
    this.#bounds = Float64Array.from(o.buckets);
    for (const registry of o.registers) registry.registerMetric(this as never);
  }

  /** The series of one label set (values in the order of `labelNames`); keep it and observe through it. */
  series(...values: string[]): HistogramSeries {
    if (values.length !== this.#labelNames.length) throw new Error(`${this.name}: expected ${this.#labelNames.length} label values`);
    const key = values.join('\u0000');
    let series = this.#series.get(key);
    if (!series) {
      const labels: Record<string, string> = {};
      this.#labelNames.forEach((name, i) => (labels[name] = values[i]!));
      series = { labels, counts: new Float64Array(this.#bounds.length + 1), sum: 0, count: 0 };
      this.#series.set(key, series);
    }
    const s = series;
    const bounds = this.#bounds;
    return {
      observe(value: number): void {
        if (!Number.isFinite(value)) return;
        let i = 0;
        while (i < bounds.length && value > bounds[i]!) i++;
        s.counts[i]!++;
        s.sum += value;
        s.count++;
      },
    };
  }

  /** What prom-client's Registry reads (the same shape as its Histogram's). */
  async getForPromString(): Promise<{ name: string; help: string; type: string; values: unknown[]; aggregator: string }> {
    const values: unknown[] = [];
    const bucket = `${this.name}_bucket`;
    for (const s of this.#series.values()) {
      let cumulative = 0;
      this.#bounds.forEach((le, i) => {
        cumulative += s.counts[i]!;
        values.push({ labels: { le }, sharedLabels: s.labels, value: cumulative, metricName: bucket, exemplar: null });
      });
      values.push({ labels: { le: '+Inf' }, sharedLabels: s.labels, value: s.count, metricName: bucket, exemplar: null });
      values.push({ labels: {}, sharedLabels: s.labels, value: s.sum, metricName: `${this.name}_sum`, exemplar: undefined });
      values.push({ labels: {}, sharedLabels: s.labels, value: s.count, metricName: `${this.name}_count`, exemplar: undefined });
    }
    return { name: this.name, help: this.help, type: this.type, values, aggregator: this.aggregator };
  }

  /** JSON form (Registry.getMetricsAsJSON): labels merged, as prom-client's Histogram.get() gives them. */
  async get(): Promise<{ name: string; help: string; type: string; values: unknown[]; aggregator: string }> {
    const data = await this.getForPromString();
    data.values = data.values.map((v) => {
      const { sharedLabels, labels, ...rest } = v as { sharedLabels: Record<string, string>; labels: Record<string, unknown> };
      return { ...rest, labels: { ...labels, ...sharedLabels } };
    });
    return data;
  }

  reset(): void {
    for (const s of this.#series.values()) {
      s.counts.fill(0);
      s.sum = 0;
      s.count = 0;
    }
  }
}
