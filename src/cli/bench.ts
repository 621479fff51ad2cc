import type { BenchReport } from '../bench/bench-stats.js';
import { BenchStats, benchExitCode, benchReport } from '../bench/bench-stats.js';
import { renderBenchReport } from '../bench/bench-report.js';
import { runBench } from '../bench/bench-runner.js';
import { UsageError } from '../core/errors.js';
import { ExitCode } from '../outcome/exit-codes.js';
import { assertMailbox } from '../core/wire-text.js';
import type { AuthFlags } from '../options/auth-flags.js';
import { assertAuthCanBeEncrypted, authRequestFrom } from '../options/auth-flags.js';
import type { ConnectionFlags } from '../options/connection-options.js';
import { establishOptionsFrom, saveChain } from '../options/connection-options.js';
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

    const { transcript: _transcript, ...session } = establishOptionsFrom(flags, output.transcript);
    assertAuthCanBeEncrypted(flags, session.tlsMode);
    const auth = await authRequestFrom(flags, output.transcript);
    // One slice of a load spread over machines: its share of the messages and of the rate (docs/bench.md#shards).
    const shard = shardFromFlags(flags, 'docs/bench.md#shards');
    const share = shard ? Math.floor((messages + shard.total - shard.index) / shard.total) : messages;
    if (share === 0) throw new UsageError(`--messages ${messages} leaves shard ${shard!.index} of ${shard!.total} nothing to send`, 'send at least one message per shard');
    const load = { connections, messages: share, size, reuse: flags.reuse ?? false, pipeline: flags.pipeline ?? false, rate: shard && rate !== null ? rate / shard.total : rate };
    const stats = new BenchStats();
    const progress = progressBar(stats, share, !flags.quiet && process.stderr.isTTY === true);
    const { value: run } = await interruptible((signal) =>
      runBench(
        {
          session,
          auth,
          from,
          to,
          ...load,
          signal,
          onWarning: (message) => output.transcript.warn(message),
          onFirstSession: (opened) => saveChain(flags, opened.tls?.chain),
        },
        stats,
      ),
    ).finally(() => progress.stop());
    const report = benchReport(run.stats, { server: `${session.host}:${session.port}`, ...load, ...(shard ? { shard: { index: shard.index, total: shard.total, messages, rate } } : {}) }, run.durationMs, run.interrupted);
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
function progressBar(stats: BenchStats, total: number, enabled: boolean): { stop(): void } {
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

