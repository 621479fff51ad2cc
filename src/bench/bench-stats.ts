import type { ExitCodeValue } from '../outcome/exit-codes.js';
import { ExitCode } from '../outcome/exit-codes.js';
import type { ErrorGroup, FailureRecord } from './error-groups.js';
import { ErrorGroups, exitCodeOfKind } from './error-groups.js';
import type { LatencySummary, SerializedHistogram } from './latency-histogram.js';
import { LatencyHistogram } from './latency-histogram.js';
import type { BenchStep } from './step-timer.js';
import { BENCH_STEPS } from './step-timer.js';

/** How many messages ended which way so far (a progress line reads them). */
export interface BenchCounts {
  attempted: number;
  accepted: number;
  refused: number;
  failed: number;
}

/**
 * The running tally of a load run. Every message ends in exactly one of three ways:
 * accepted (every recipient and the message itself got a 2xx), refused (the server
 * answered 4xx/5xx to the sender, a recipient, DATA or the message), or failed (no
 * verdict: the connection, TLS, AUTH or the protocol broke, or a reply never came).
 */
export class BenchStats implements BenchCounts {
  attempted = 0;
  accepted = 0;
  refused = 0;
  failed = 0;
  /** Octets of the accepted messages. */
  acceptedBytes = 0;
  sessions = 0;
  readonly errors = new ErrorGroups();
  private readonly latencies = new Map<BenchStep, LatencyHistogram>(BENCH_STEPS.map((step) => [step, new LatencyHistogram()]));

  recordStep(step: BenchStep, milliseconds: number): void {
    this.latencies.get(step)!.record(milliseconds);
  }

  recordAccepted(bytes: number): void {
    this.attempted += 1;
    this.accepted += 1;
    this.acceptedBytes += bytes;
  }

  /** A message the server refused; `failures` are the refusals (one per refused recipient, for instance). */
  recordRefused(failures: FailureRecord[]): void {
    this.attempted += 1;
    this.refused += 1;
    for (const failure of failures) this.errors.add(failure);
  }

  recordFailed(failure: FailureRecord): void {
    this.attempted += 1;
    this.failed += 1;
    this.errors.add(failure);
  }

  latency(step: BenchStep): LatencySummary {
    return this.latencies.get(step)!.summary();
  }

  histogram(step: BenchStep): SerializedHistogram {
    return this.latencies.get(step)!.toJSON();
  }

  /** The tally as data, to cross a thread boundary (bench --workers) and be added to another. */
  snapshot(): BenchStatsSnapshot {
    const histograms: Partial<Record<BenchStep, SerializedHistogram>> = {};
    for (const [step, histogram] of this.latencies) if (histogram.count > 0) histograms[step] = histogram.toJSON();
    const { attempted, accepted, refused, failed, acceptedBytes, sessions } = this;
    return { attempted, accepted, refused, failed, acceptedBytes, sessions, errors: this.errors.list(), ungroupedErrors: this.errors.ungrouped, histograms };
  }

  /** Add another tally (a worker's): exact, as if this one had counted every message itself. */
  add(other: BenchStatsSnapshot): void {
    this.attempted += other.attempted;
    this.accepted += other.accepted;
    this.refused += other.refused;
    this.failed += other.failed;
    this.acceptedBytes += other.acceptedBytes;
    this.sessions += other.sessions;
    for (const group of other.errors) this.errors.addGroup(group);
    this.errors.addUngrouped(other.ungroupedErrors);
    for (const step of BENCH_STEPS) {
      const histogram = other.histograms[step];
      if (histogram) this.latencies.get(step)!.add(histogram);
    }
  }
}

/** BenchStats as plain data (structured-cloneable). */
export interface BenchStatsSnapshot {
  attempted: number;
  accepted: number;
  refused: number;
  failed: number;
  acceptedBytes: number;
  sessions: number;
  errors: ErrorGroup[];
  ungroupedErrors: number;
  histograms: Partial<Record<BenchStep, SerializedHistogram>>;
}

/** The shape of a load run, as asked for (docs/bench.md has the flags). */
export interface BenchLoad {
  connections: number;
  messages: number;
  /** Octets per message, headers included. */
  size: number;
  /** Many messages per session (the next MAIL right after the previous 250) instead of one connection per message. */
  reuse: boolean;
  /** MAIL, RCPT and DATA in one write when the server offers PIPELINING (RFC 2920). */
  pipeline: boolean;
  /** Messages per second over all connections; null for as fast as the server goes. */
  rate: number | null;
}

/**
 * Part `index` (1-based) of `total` of a count: parts differ by one at most, the
 * first ones larger, and add up to the whole.
 */
export function shareOf(count: number, index: number, total: number): number {
  return Math.floor((count + total - index) / total);
}

/**
 * Part `index` of `total` of a load, as shards (docs/bench.md#shards) and worker
 * threads (--workers) split it: a share of the messages, and the rate split evenly,
 * so the parts together start messages at the whole rate.
 */
export function loadShare(whole: BenchLoad, index: number, total: number): BenchLoad {
  return { ...whole, messages: shareOf(whole.messages, index, total), rate: whole.rate === null ? null : whole.rate / total };
}

export interface BenchParameters extends BenchLoad {
  server: string;
  /** Worker threads the load was spread over (--workers, docs/bench.md#workers); one report for all of them. */
  workers?: number;
  /** Set when this run is one slice of a load spread over machines (docs/bench.md#shards): messages and rate are its share. */
  shard?: { index: number; total: number; messages: number; rate: number | null };
}

export interface BenchReport {
  parameters: BenchParameters;
  messages: { attempted: number; accepted: number; refused: number; failed: number };
  /** Octets of the accepted messages. */
  acceptedBytes: number;
  sessions: number;
  durationMs: number;
  /** Accepted messages per second of wall time. */
  messagesPerSecond: number;
  /** Octets of accepted messages per second of wall time. */
  bytesPerSecond: number;
  /** Latency per step in milliseconds; steps that never happened are left out. */
  steps: Partial<Record<BenchStep, LatencySummary>>;
  /** The same latencies as mergeable histograms (SerializedHistogram), for report merge. */
  histograms: Partial<Record<BenchStep, SerializedHistogram>>;
  errors: ErrorGroup[];
  /** Failures past the report's group limit: counted above, not itemised. */
  ungroupedErrors: number;
  interrupted: boolean;
}

export function perSecond(count: number, milliseconds: number): number {
  return milliseconds > 0 ? Math.round((count * 1000 * 10) / milliseconds) / 10 : 0;
}

export function benchReport(stats: BenchStats, parameters: BenchParameters, durationMs: number, interrupted: boolean): BenchReport {
  const steps: Partial<Record<BenchStep, LatencySummary>> = {};
  const histograms: Partial<Record<BenchStep, SerializedHistogram>> = {};
  for (const step of BENCH_STEPS) {
    const summary = stats.latency(step);
    if (summary.count === 0) continue;
    steps[step] = summary;
    histograms[step] = stats.histogram(step);
  }
  return {
    parameters,
    messages: { attempted: stats.attempted, accepted: stats.accepted, refused: stats.refused, failed: stats.failed },
    acceptedBytes: stats.acceptedBytes,
    sessions: stats.sessions,
    durationMs: Math.round(durationMs),
    messagesPerSecond: perSecond(stats.accepted, durationMs),
    bytesPerSecond: Math.round(perSecond(stats.acceptedBytes, durationMs)),
    steps,
    histograms,
    errors: stats.errors.list(),
    ungroupedErrors: stats.errors.ungrouped,
    interrupted,
  };
}

/**
 * docs/bench.md: 0 when every message was accepted; when some failed without a
 * verdict, the code of that failure (connect 2, TLS 3, AUTH 4, protocol or timeout
 * 6; the smallest if several), since the run did not measure what was asked; else 5
 * when the server refused some; 130 when interrupted.
 */
export function benchExitCode(report: BenchReport): ExitCodeValue {
  if (report.interrupted) return ExitCode.interrupted;
  if (report.messages.failed > 0) {
    const codes = report.errors.filter((group) => group.kind !== 'refused').map((group) => exitCodeOfKind(group.kind));
    return codes.length > 0 ? (Math.min(...codes) as ExitCodeValue) : ExitCode.protocol;
  }
  return report.messages.refused > 0 ? ExitCode.rejected : ExitCode.ok;
}
