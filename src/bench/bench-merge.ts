import { mergeNotes } from '../checks/shard.js';
import type { BenchReport } from './bench-stats.js';
import { perSecond } from './bench-stats.js';
import { ErrorGroups } from './error-groups.js';
import type { LatencySummary, SerializedHistogram } from './latency-histogram.js';
import { LatencyHistogram } from './latency-histogram.js';
import type { BenchStep } from './step-timer.js';
import { BENCH_STEPS } from './step-timer.js';

/**
 * Several load runs (shards of one load on several machines, docs/bench.md#shards) as
 * one report: counts added, latencies merged from their histograms (exactly: the same
 * as one run that had recorded every sample), rates over the longest run, since the
 * shards ran side by side. What does not fit together is returned as notes.
 */
export function mergeBenchReports(reports: readonly BenchReport[]): { report: BenchReport; notes: string[] } {
  const shards = reports.map((report) => report.parameters.shard).filter((shard) => shard !== undefined);
  const notes = mergeNotes(
    [
      ['server', reports.map((report) => report.parameters.server)],
      ['message size', reports.map((report) => report.parameters.size)],
      ['connections per run', reports.map((report) => report.parameters.connections)],
      ['--reuse', reports.map((report) => report.parameters.reuse)],
      ['--pipeline', reports.map((report) => report.parameters.pipeline)],
      ['rate per run', reports.map((report) => report.parameters.rate)],
      ...(shards.length > 0 ? [['the whole load (messages, rate)', shards.map((shard) => [shard.messages, shard.rate])] as [string, unknown[]]] : []),
    ],
    shards,
  );
  if (shards.length > 0 && shards.length < reports.length) notes.push('some runs were not shards of one load');
  const first = reports[0]!;

  const histograms = new Map<BenchStep, LatencyHistogram>();
  for (const report of reports) {
    for (const step of BENCH_STEPS) {
      const histogram: SerializedHistogram | undefined = report.histograms?.[step];
      if (!histogram) continue;
      if (!histograms.has(step)) histograms.set(step, new LatencyHistogram());
      histograms.get(step)!.add(histogram);
    }
  }
  const steps: Partial<Record<BenchStep, LatencySummary>> = {};
  const mergedHistograms: Partial<Record<BenchStep, SerializedHistogram>> = {};
  for (const [step, histogram] of histograms) {
    steps[step] = histogram.summary();
    mergedHistograms[step] = histogram.toJSON();
  }
  const errors = new ErrorGroups();
  for (const report of reports) {
    for (const group of report.errors) errors.addGroup(group);
    errors.addUngrouped(report.ungroupedErrors);
  }
  const sum = (value: (report: BenchReport) => number) => reports.reduce((total, report) => total + value(report), 0);
  const accepted = sum((report) => report.messages.accepted);
  const acceptedBytes = sum((report) => report.acceptedBytes);
  const durationMs = Math.max(...reports.map((report) => report.durationMs));
  const whole = shards[0];
  return {
    report: {
      parameters: {
        ...first.parameters,
        connections: sum((report) => report.parameters.connections),
        messages: whole ? whole.messages : sum((report) => report.parameters.messages),
        rate: whole ? whole.rate : reports.every((report) => report.parameters.rate !== null) ? sum((report) => report.parameters.rate!) : null,
        shard: undefined,
      },
      messages: { attempted: sum((report) => report.messages.attempted), accepted, refused: sum((report) => report.messages.refused), failed: sum((report) => report.messages.failed) },
      acceptedBytes,
      sessions: sum((report) => report.sessions),
      durationMs,
      messagesPerSecond: perSecond(accepted, durationMs),
      bytesPerSecond: Math.round(perSecond(acceptedBytes, durationMs)),
      steps,
      histograms: mergedHistograms,
      errors: errors.list(),
      ungroupedErrors: errors.ungrouped,
      interrupted: reports.some((report) => report.interrupted),
    },
    notes,
  };
}
