import { Worker } from 'node:worker_threads';
import { UsageError } from '../core/errors.js';
import type { TlsSessionInfo } from '../core/tls-session.js';
import type { BenchOptions, BenchRun } from './bench-runner.js';
import type { BenchCounts, BenchStatsSnapshot } from './bench-stats.js';
import { BenchStats, loadShare, shareOf } from './bench-stats.js';

/** What a worker runs: its share of the load, everything else as the whole run has it. No callbacks, no signal: they cannot cross threads. */
export type WorkerBenchOptions = Omit<BenchOptions, 'signal' | 'onWarning' | 'onFirstTls'>;

export interface WorkerSetup {
  options: WorkerBenchOptions;
  /** Only the first worker reports its first TLS session (--tls-save-chain saves one chain). */
  reportsFirstTls: boolean;
  /** How often to send its counts for the progress line; null: never. */
  progressMs: number | null;
}

export type ToWorker = { type: 'abort' };

export type FromWorker =
  | { type: 'warning'; message: string }
  | { type: 'first-tls'; tls: TlsSessionInfo }
  | { type: 'progress'; counts: BenchCounts }
  | { type: 'done'; stats: BenchStatsSnapshot; startedAt: number; endedAt: number; interrupted: boolean }
  | { type: 'fatal'; error: WorkerError };

/** An error that ended a worker's run, as data: a usage error stays one (exit 1), anything else is a bug (exit 7). */
export type WorkerError = { usage: true; message: string; hint: string | undefined } | { usage: false; message: string; stack: string | undefined };

export function workerError(error: unknown): WorkerError {
  if (error instanceof UsageError) return { usage: true, message: error.message, hint: error.hint };
  return error instanceof Error ? { usage: false, message: error.message, stack: error.stack } : { usage: false, message: String(error), stack: undefined };
}

function rebuiltError(error: WorkerError): Error {
  if (error.usage) return new UsageError(error.message, error.hint);
  const rebuilt = new Error(error.message);
  if (error.stack) rebuilt.stack = error.stack;
  return rebuilt;
}

// Compiled JavaScript beside this file (dist/src/bench/): workers load no TypeScript.
const WORKER_SCRIPT = new URL('./bench-worker.js', import.meta.url);
const PROGRESS_MS = 100;

/**
 * `bench --workers N` (docs/bench.md#workers): the load spread over N worker threads,
 * each a runBench of its share (connections and messages split as shards split
 * messages, the rate split evenly: loadShare), and one tally of all of them, added
 * exactly (BenchStats.add: counts, error groups, histograms). The run lasts from the
 * first worker's start to the last one's end. Aborting `options.signal` aborts every
 * worker; each ends its sessions at once and reports what it did.
 *
 * `counts`, when given, follows the workers' progress (for a progress line).
 */
export async function runBenchOnWorkers(options: BenchOptions, workers: number, counts?: BenchCounts): Promise<BenchRun> {
  const { signal, onWarning, onFirstTls, ...shared } = options;
  const warned = new Set<string>();
  const progress: BenchCounts[] = [];
  const threads: Worker[] = [];
  const results = Array.from({ length: workers }, (_, index) => {
    const setup: WorkerSetup = {
      options: { ...shared, ...loadShare(shared, index + 1, workers), connections: shareOf(shared.connections, index + 1, workers) },
      reportsFirstTls: index === 0 && onFirstTls !== undefined,
      progressMs: counts ? PROGRESS_MS : null,
    };
    const worker = new Worker(WORKER_SCRIPT, { workerData: setup });
    threads.push(worker);
    return new Promise<Extract<FromWorker, { type: 'done' }>>((resolve, reject) => {
      let done: Extract<FromWorker, { type: 'done' }> | null = null;
      worker.on('message', (message: FromWorker) => {
        switch (message.type) {
          case 'warning':
            if (!warned.has(message.message)) onWarning?.(message.message);
            warned.add(message.message);
            return;
          case 'first-tls':
            onFirstTls?.(message.tls);
            return;
          case 'progress':
            progress[index] = message.counts;
            if (counts) sumInto(counts, progress);
            return;
          case 'done':
            done = message;
            return resolve(message);
          case 'fatal':
            return reject(rebuiltError(message.error));
        }
      });
      worker.on('error', reject);
      worker.on('exit', (code) => {
        if (!done) reject(new Error(`bench worker ${index + 1} of ${workers} exited (code ${code}) without its report`));
      });
    });
  });
  const abort = () => {
    for (const worker of threads) worker.postMessage({ type: 'abort' } satisfies ToWorker);
  };
  signal?.addEventListener('abort', abort, { once: true });
  if (signal?.aborted) abort();
  try {
    const reports = await Promise.all(results);
    const stats = new BenchStats();
    for (const report of reports) stats.add(report.stats);
    const startedAt = Math.min(...reports.map((report) => report.startedAt));
    const endedAt = Math.max(...reports.map((report) => report.endedAt));
    return { stats, durationMs: endedAt - startedAt, interrupted: reports.some((report) => report.interrupted) };
  } catch (error) {
    // One worker's fatal error ends the run, as it does in one thread.
    await Promise.all(threads.map((worker) => worker.terminate()));
    throw error;
  } finally {
    signal?.removeEventListener('abort', abort);
  }
}

function sumInto(counts: BenchCounts, parts: readonly BenchCounts[]): void {
  counts.attempted = counts.accepted = counts.refused = counts.failed = 0;
  for (const part of parts) {
    if (!part) continue;
    counts.attempted += part.attempted;
    counts.accepted += part.accepted;
    counts.refused += part.refused;
    counts.failed += part.failed;
  }
}
