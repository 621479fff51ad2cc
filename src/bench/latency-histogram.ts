/**
 * Latencies of one step, kept as counts in logarithmic buckets so memory stays the
 * same for ten messages or ten million (HdrHistogram's layout, simplified): values
 * are whole microseconds; below EXACT_LIMIT each value has its own bucket, above it
 * every power of two is split into SUB_BUCKETS, so a reported percentile is at most
 * 1/SUB_BUCKETS (0.8%) above the true one, and never above the largest value seen.
 */
const SUB_BUCKET_BITS = 7;
const SUB_BUCKETS = 1 << SUB_BUCKET_BITS;
const EXACT_LIMIT = 2 * SUB_BUCKETS;
// 2^32 µs is 71 minutes, longer than any SMTP timeout; larger values share the last buckets.
const MAX_SHIFT = 32 - SUB_BUCKET_BITS;
const BUCKET_COUNT = EXACT_LIMIT + MAX_SHIFT * SUB_BUCKETS;

/** The bucket a value (µs) is counted in. */
export function bucketIndex(micros: number): number {
  const value = Math.max(0, Math.floor(micros));
  if (value < EXACT_LIMIT) return value;
  // Position of the highest bit, in integer arithmetic (Math.log2 may round up just below a power of two).
  const magnitude = value >= 2 ** 32 ? 32 : 31 - Math.clz32(value);
  const shift = Math.min(magnitude - SUB_BUCKET_BITS, MAX_SHIFT);
  const sub = Math.min(Math.floor(value / 2 ** shift), EXACT_LIMIT - 1);
  return EXACT_LIMIT + (shift - 1) * SUB_BUCKETS + (sub - SUB_BUCKETS);
}

/** The largest value (µs) that falls in a bucket. */
export function bucketUpperBound(index: number): number {
  if (index < EXACT_LIMIT) return index;
  const shift = Math.floor((index - EXACT_LIMIT) / SUB_BUCKETS) + 1;
  const sub = ((index - EXACT_LIMIT) % SUB_BUCKETS) + SUB_BUCKETS;
  return (sub + 1) * 2 ** shift - 1;
}

export interface LatencySummary {
  count: number;
  /** Milliseconds, to the microsecond. */
  min: number;
  mean: number;
  p50: number;
  p95: number;
  p99: number;
  max: number;
}

/**
 * A histogram as data, for JSON reports: the non-empty buckets as [index, count]
 * pairs plus the exact count, sum, min and max, so that the reports of several runs
 * merge into exactly the histogram one run of all their samples would have
 * (`smtpcheck report merge`; percentiles could not be merged).
 */
export interface SerializedHistogram {
  buckets: [number, number][];
  count: number;
  sumMicros: number;
  minMicros: number;
  maxMicros: number;
}

export class LatencyHistogram {
  private readonly counts = new Float64Array(BUCKET_COUNT);
  private total = 0;
  private sumMicros = 0;
  private minMicros = Infinity;
  private maxMicros = 0;

  record(milliseconds: number): void {
    const micros = Math.max(0, Math.round(milliseconds * 1000));
    this.counts[bucketIndex(micros)]! += 1;
    this.total += 1;
    this.sumMicros += micros;
    if (micros < this.minMicros) this.minMicros = micros;
    if (micros > this.maxMicros) this.maxMicros = micros;
  }

  get count(): number {
    return this.total;
  }

  toJSON(): SerializedHistogram {
    const buckets: [number, number][] = [];
    for (let index = 0; index < BUCKET_COUNT; index += 1) if (this.counts[index]! > 0) buckets.push([index, this.counts[index]!]);
    return { buckets, count: this.total, sumMicros: this.sumMicros, minMicros: this.total > 0 ? this.minMicros : 0, maxMicros: this.maxMicros };
  }

  /** Add another run's samples (exact: the buckets are the same everywhere). Throws on data that is not a histogram. */
  add(other: SerializedHistogram): void {
    let counted = 0;
    for (const [index, count] of other.buckets) {
      if (!Number.isInteger(index) || index < 0 || index >= BUCKET_COUNT || !Number.isInteger(count) || count < 0) throw new RangeError(`bucket ${index} of ${count} is not in the histogram's layout`);
      this.counts[index]! += count;
      counted += count;
    }
    if (counted !== other.count) throw new RangeError(`the buckets hold ${counted} samples, not the ${other.count} the histogram says`);
    if (other.count === 0) return;
    this.total += other.count;
    this.sumMicros += other.sumMicros;
    this.minMicros = Math.min(this.minMicros, other.minMicros);
    this.maxMicros = Math.max(this.maxMicros, other.maxMicros);
  }

  /**
   * Nearest-rank percentile in milliseconds: the smallest recorded latency that at
   * least p% of the samples do not exceed (bucket precision, see above); 0 when empty.
   */
  percentile(p: number): number {
    if (this.total === 0) return 0;
    const rank = Math.max(1, Math.ceil((Math.min(Math.max(p, 0), 100) / 100) * this.total));
    let seen = 0;
    for (let index = 0; index < BUCKET_COUNT; index += 1) {
      seen += this.counts[index]!;
      if (seen >= rank) return Math.min(Math.max(bucketUpperBound(index), this.minMicros), this.maxMicros) / 1000;
    }
    return this.maxMicros / 1000;
  }

  summary(): LatencySummary {
    if (this.total === 0) return { count: 0, min: 0, mean: 0, p50: 0, p95: 0, p99: 0, max: 0 };
    return {
      count: this.total,
      min: this.minMicros / 1000,
      mean: Math.round(this.sumMicros / this.total) / 1000,
      p50: this.percentile(50),
      p95: this.percentile(95),
      p99: this.percentile(99),
      max: this.maxMicros / 1000,
    };
  }
}
