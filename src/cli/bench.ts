import type { BenchCounts, BenchReport } from '../bench/bench-stats.js';
import { BenchStats, benchExitCode, benchReport, loadShare } from '../bench/bench-stats.js';
import { renderBenchReport } from '../bench/bench-report.js';
import type { BenchOptions } from '../bench/bench-runner.js';
import { runBench } from '../bench/bench-runner.js';
import { UsageError } from '../core/errors.js';
import { ExitCode } from '../outcome/exit-codes.js';
import { assertMailbox } from '../core/wire-text.js';
import type { AuthFlags } from '../options/auth-flags.js';
import { assertAuthCanBeEncrypted, authRequestFrom } from '../options/auth-flags.js';
import type { ConnectionFlags } from '../options/connection-options.js';
import { connectionSpecFrom, saveChain } from '../options/connection-options.js';
import { interruptible } from './interrupt.js';
import type { OutputFlags } from './output.js';
import { CommandOutput } from './output.js';
import { splitList } from '../options/list-flags.js';
import type { ShardFlags } from './shard-flags.js';
import { shardFromFlags } from './shard-flags.js';

export interface BenchFlags extends ConnectionFlags, OutputFlags, AuthFlags, ShardFlags {
  from?: string;
  to?: string[];
  connections?: string;
  messages?: string;
  size?: string;
  reuse?: boolean;
  pipeline?: boolean;
  rate?: string;
  workers?: string;
}

export const BENCH_DEFAULTS = { connections: 1, messages: 100, size: 1024 } as const;
// More sessions than this from one process is a different tool (and more than most servers allow one client).
const MAX_CONNECTIONS = 1000;
const PROGRESS_INTERVAL_MS = 100;
const PROGRESS_WIDTH = 30;

/** `smtpcheck bench`: load a (staging) server and report throughput, latency per step and errors by reply code. */
export async function runBenchCommand(flags: BenchFlags): Promise<number> {
  const output = new CommandOutput('bench', flags);
  try {
    const connections = integerFlag(flags.connections, '--connections', BENCH_DEFAULTS.connections, MAX_CONNECTIONS);
    const messages = integerFlag(flags.messages, '--messages', BENCH_DEFAULTS.messages, Number.MAX_SAFE_INTEGER);
    const size = integerFlag(flags.size, '--size', BENCH_DEFAULTS.size, Number.MAX_SAFE_INTEGER);
    const rate = flags.rate === undefined ? null : Number(flags.rate);
    if (rate !== null && !(Number.isFinite(rate) && rate > 0)) throw new UsageError(`--rate ${flags.rate} is not a positive number of messages per second`, 'e.g. --rate 50');
    const to = splitList(flags.to);
    if (flags.from === undefined) throw new UsageError('no sender given', 'add --from ADDRESS (use --from "" for the null sender)');
    if (to.length === 0) throw new UsageError('no recipient given', 'add --to ADDRESS (a mailbox on the staging server; anything for a sink)');
    const from = assertMailbox(flags.from, '--from', { allowEmpty: true });
    for (const address of to) assertMailbox(address, 'recipient', { allowLocalOnly: true });

    const session = connectionSpecFrom(flags);
    assertAuthCanBeEncrypted(flags, session.tlsMode);
    const auth = await authRequestFrom(flags, output.transcript);
    // One slice of a load spread over machines: its share of the messages and of the rate (docs/bench.md#shards).
    const shard = shardFromFlags(flags, 'docs/bench.md#shards');
    const whole = { connections, messages, size, reuse: flags.reuse ?? false, pipeline: flags.pipeline ?? false, rate };
    const load = shard ? loadShare(whole, shard.index, shard.total) : whole;
    if (load.messages === 0) throw new UsageError(`--messages ${messages} leaves shard ${shard!.index} of ${shard!.total} nothing to send`, 'send at least one message per shard');
    const workers = workersFlag(flags.workers, connections, load.messages);
    const stats = new BenchStats();
    const counts: BenchCounts = workers > 1 ? { attempted: 0, accepted: 0, refused: 0, failed: 0 } : stats;
    const showProgress = !flags.quiet && process.stderr.isTTY === true;
    const progress = progressBar(counts, load.messages, showProgress);
    const { value: run } = await interruptible(async (signal) => {
      const options: BenchOptions = {
        session,
        auth,
        from,
        to,
        ...load,
        signal,
        onWarning: (message) => output.transcript.warn(message),
        onFirstTls: (tls) => saveChain(flags, tls.chain),
      };
      // Loaded only when asked for: worker threads are not part of every load run's start-up.
      return workers > 1 ? (await import('../bench/bench-workers.js')).runBenchOnWorkers(options, workers, showProgress ? counts : undefined) : runBench(options, stats);
    }).finally(() => progress.stop());
    const report = benchReport(run.stats, { server: `${session.host}:${session.port}`, ...load, workers, ...(shard ? { shard: { index: shard.index, total: shard.total, messages, rate } } : {}) }, run.durationMs, run.interrupted);
    const exitCode = benchExitCode(report);
    output.print(renderBenchReport(report, output.palette).join('\n'));
    output.summary(summaryLine(report), exitCode === ExitCode.ok);
    return output.finish({ ...report }, exitCode);
  } catch (error) {
    return output.fail(error);
  }
}

function integerFlag(value: string | undefined, flag: string, fallback: number, max: number): number {
  if (value === undefined) return fallback;
  const number = Number(value);
  if (!Number.isInteger(number) || number < 1 || number > max) throw new UsageError(`${flag} ${value} is not a whole number from 1 to ${max}`, `e.g. ${flag} ${fallback}`);
  return number;
}

/**
 * --workers N (docs/bench.md#workers): 1 to the number of sessions, since a worker
 * without a session would have nothing to do, and no more than the messages to send.
 */
function workersFlag(value: string | undefined, connections: number, messages: number): number {
  if (value === undefined) return 1;
  const workers = Number(value);
  if (!/^\d+$/.test(value.trim()) || workers < 1) throw new UsageError(`--workers ${value} is not a whole number of threads from 1 up`, 'e.g. --workers 2 (one per core the load may use)');
  if (workers > connections) throw new UsageError(`--workers ${workers} is more than the ${connections} session(s) of --connections: a worker needs at least one`, `raise --connections to ${workers} or more, or lower --workers`);
  if (workers > messages) throw new UsageError(`--workers ${workers} is more than the ${messages} message(s) to send: a worker needs at least one`, `send at least ${workers} messages, or lower --workers`);
  return workers;
}

function summaryLine(report: BenchReport): string {
  const { messages: m } = report;
  const rate = `${report.messagesPerSecond} messages/s`;
  if (report.interrupted) return `interrupted after ${m.attempted} messages: ${m.accepted} accepted, ${rate}`;
  if (m.accepted === m.attempted) return `${m.accepted} messages accepted in ${(report.durationMs / 1000).toFixed(2)} s, ${rate}`;
  return `${m.accepted} of ${m.attempted} messages accepted (${m.refused} refused, ${m.failed} failed), ${rate}`;
}

/**
 * One line on stderr, redrawn in place while the run goes on; only on a terminal
 * (in logs and pipes nothing is animated: the report at the end says it all).
 */
function progressBar(stats: BenchCounts, total: number, enabled: boolean): { stop(): void } {
  if (!enabled) return { stop: () => undefined };
  const started = performance.now();
  const draw = () => {
    const done = stats.attempted;
    const filled = Math.round((done / total) * PROGRESS_WIDTH);
    const seconds = (performance.now() - started) / 1000;
    const rate = seconds > 0 ? Math.round(stats.accepted / seconds) : 0;
    const problems = stats.refused + stats.failed > 0 ? `  refused ${stats.refused}  failed ${stats.failed}` : '';
    process.stderr.write(`\r\x1b[K[${'#'.repeat(filled)}${'-'.repeat(PROGRESS_WIDTH - filled)}] ${done}/${total}  ${rate} msg/s${problems}  ${seconds.toFixed(1)} s`);
  };
  const timer = setInterval(draw, PROGRESS_INTERVAL_MS);
  return {
    stop: () => {
      clearInterval(timer);
      process.stderr.write('\r\x1b[K');
    },
  };
}

