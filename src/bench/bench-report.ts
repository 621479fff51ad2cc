import type { ChalkInstance } from 'chalk';
import { printable } from '../render/printable.js';
import type { BenchReport } from './bench-stats.js';
import { BENCH_STEPS } from './step-timer.js';

/**
 * The text report of a load run: parameters, counts and rates, latency per step,
 * errors by reply code. Each error group's example quotes the server: escaped.
 */
export function renderBenchReport(report: BenchReport, c: ChalkInstance): string[] {
  const { parameters: p, messages: m } = report;
  const mode = [p.reuse ? 'reusing sessions' : 'one connection per message', p.pipeline ? 'pipelining' : null, p.rate !== null ? `at most ${p.rate} messages/s` : null].filter(Boolean).join(', ');
  const lines = [
    c.bold(`bench ${p.server}: ${m.attempted} of ${p.messages} messages of ${p.size} octets over ${p.connections} connection(s), ${mode}${report.interrupted ? ' — interrupted' : ''}`),
    `  ${c.green(`accepted ${m.accepted}`)}   ${m.refused > 0 ? c.red(`refused ${m.refused}`) : 'refused 0'}   ${m.failed > 0 ? c.red(`failed ${m.failed}`) : 'failed 0'}   in ${(report.durationMs / 1000).toFixed(2)} s over ${report.sessions} session(s)`,
    `  ${c.bold(`${formatRate(report.messagesPerSecond)} messages/s`)}   ${(report.bytesPerSecond / 1_000_000).toFixed(1)} MB/s`,
    '',
    c.bold(`  ${'STEP'.padEnd(9)} ${'COUNT'.padStart(8)} ${'P50'.padStart(10)} ${'P95'.padStart(10)} ${'P99'.padStart(10)} ${'MAX'.padStart(10)}`),
  ];
  for (const step of BENCH_STEPS) {
    const summary = report.steps[step];
    if (!summary) continue;
    lines.push(`  ${step.padEnd(9)} ${String(summary.count).padStart(8)} ${formatMs(summary.p50)} ${formatMs(summary.p95)} ${formatMs(summary.p99)} ${formatMs(summary.max)}`);
  }
  if (report.errors.length > 0) {
    lines.push('', c.bold(`  ${'ERRORS'.padStart(8)}  ${'STEP'.padEnd(9)} ${'CODE'.padEnd(12)} FIRST EXAMPLE`));
    for (const group of report.errors) {
      const colour = group.kind === 'refused' && group.code !== null && group.code < 500 ? c.yellow : c.red;
      lines.push(`  ${String(group.count).padStart(8)}  ${group.step.toUpperCase().padEnd(9)} ${colour(String(group.code ?? group.kind).padEnd(12))} ${printable(group.example)}`);
    }
    if (report.ungroupedErrors > 0) lines.push(`  ${String(report.ungroupedErrors).padStart(8)}  ${c.dim('more, in groups past the report\'s limit')}`);
  }
  return lines;
}

function formatMs(milliseconds: number): string {
  const text = milliseconds >= 1000 ? `${(milliseconds / 1000).toFixed(2)} s` : milliseconds >= 10 ? `${milliseconds.toFixed(1)} ms` : `${milliseconds.toFixed(3)} ms`;
  return text.padStart(10);
}

function formatRate(perSecond: number): string {
  return perSecond >= 100 ? String(Math.round(perSecond)) : perSecond.toFixed(1);
}
