import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { bucketIndex, bucketUpperBound, LatencyHistogram } from '../../src/bench/latency-histogram.js';

/** The textbook definition the histogram approximates: the smallest value with at least p% of the samples at or below it. */
function nearestRank(values: number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.max(1, Math.ceil((p / 100) * sorted.length)) - 1]!;
}

describe('LatencyHistogram', () => {
  it('gives exact percentiles for sub-millisecond latencies (every microsecond below 256 µs has its own bucket)', () => {
    const histogram = new LatencyHistogram();
    for (let micros = 1; micros <= 200; micros += 1) histogram.record(micros / 1000);
    assert.equal(histogram.percentile(50), 0.1);
    assert.equal(histogram.percentile(95), 0.19);
    assert.equal(histogram.percentile(99), 0.198);
    assert.equal(histogram.percentile(100), 0.2);
  });

  it('stays within 1% of the exact nearest-rank percentile over six orders of magnitude', () => {
    const histogram = new LatencyHistogram();
    const values: number[] = [];
    let seed = 42;
    for (let index = 0; index < 20_000; index += 1) {
      seed = (seed * 1103515245 + 12345) % 2 ** 31;
      const milliseconds = Math.round(10 ** ((seed / 2 ** 31) * 6 - 3) * 1000) / 1000;
      values.push(milliseconds);
      histogram.record(milliseconds);
    }
    for (const p of [50, 90, 95, 99, 99.9]) {
      const exact = nearestRank(values, p);
      const reported = histogram.percentile(p);
      assert.ok(reported >= exact && reported <= exact * 1.01 + 0.001, `p${p}: ${reported} ms reported, ${exact} ms exact`);
    }
  });

  it('summarises count, min, mean and max exactly, and an empty histogram as zeros', () => {
    const histogram = new LatencyHistogram();
    assert.deepEqual(histogram.summary(), { count: 0, min: 0, mean: 0, p50: 0, p95: 0, p99: 0, max: 0 });
    for (const milliseconds of [2, 4, 6, 1000]) histogram.record(milliseconds);
    const summary = histogram.summary();
    assert.equal(summary.count, 4);
    assert.equal(summary.min, 2);
    assert.equal(summary.mean, 253);
    assert.equal(summary.max, 1000);
    assert.ok(summary.p50 >= 4 && summary.p50 <= 4 * (1 + 1 / 128), `p50 ${summary.p50}`);
    assert.equal(summary.p99, 1000);
  });

  it('never reports a percentile above the largest latency seen', () => {
    const histogram = new LatencyHistogram();
    histogram.record(1234.567);
    assert.equal(histogram.percentile(50), 1234.567);
  });

  it('files every value in a bucket whose upper bound is at most 0.8% above it, up to hours', () => {
    let previous = -1;
    for (let micros = 0; micros < 2 ** 33; micros = Math.floor(micros * 1.37) + 1) {
      const index = bucketIndex(micros);
      assert.ok(index >= previous, `bucket order broken at ${micros} µs`);
      previous = index;
      const upper = bucketUpperBound(index);
      assert.ok(upper >= micros && upper <= micros * (1 + 1 / 128) + 1, `${micros} µs lands in a bucket up to ${upper} µs`);
    }
  });

  it('merges exactly: the histograms of several runs added are the histogram of all their samples', () => {
    const whole = new LatencyHistogram();
    const parts = [new LatencyHistogram(), new LatencyHistogram(), new LatencyHistogram()];
    let seed = 7;
    for (let index = 0; index < 3000; index += 1) {
      seed = (seed * 48271) % 2147483647;
      const milliseconds = (seed % 5_000_000) / 1000;
      whole.record(milliseconds);
      parts[index % 3]!.record(milliseconds);
    }
    const merged = new LatencyHistogram();
    for (const part of parts) merged.add(JSON.parse(JSON.stringify(part)));
    assert.deepEqual(merged.toJSON(), whole.toJSON());
    assert.deepEqual(merged.summary(), whole.summary());
  });

  it('refuses data that is not a histogram of this layout', () => {
    assert.throws(() => new LatencyHistogram().add({ buckets: [[99_999_999, 1]], count: 1, sumMicros: 1, minMicros: 1, maxMicros: 1 }), RangeError);
    assert.throws(() => new LatencyHistogram().add({ buckets: [[3, 2]], count: 5, sumMicros: 6, minMicros: 3, maxMicros: 3 }), RangeError);
  });
});
