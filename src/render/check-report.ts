import type { ChalkInstance } from 'chalk';
import type { CheckResult, Verdict } from '../checks/check.js';
import { counts, isFinding, isUnsettled } from '../checks/verdict-policy.js';
import { evidenceLines } from './evidence-lines.js';
import { printable } from './printable.js';

const VERDICT_STYLE: Record<Verdict, { mark: string; colour: (c: ChalkInstance) => (text: string) => string }> = {
  pass: { mark: '✔', colour: (c) => c.green },
  fail: { mark: '✘', colour: (c) => c.red },
  warn: { mark: '!', colour: (c) => c.yellow },
  info: { mark: 'i', colour: (c) => c.blue },
  skip: { mark: '-', colour: (c) => c.dim },
  inconclusive: { mark: '?', colour: (c) => c.magenta },
  error: { mark: '⚠', colour: (c) => c.red },
};

export interface ReportHeader {
  target: string;
  role: string;
  roleAssumed?: boolean;
  source?: string;
}

export function renderResultLine(result: CheckResult, c: ChalkInstance, idWidth = 30): string {
  const style = VERDICT_STYLE[result.verdict];
  const paint = style.colour(c);
  const severity = isFinding(result.verdict) || result.verdict === 'error' ? result.severity.toUpperCase().padEnd(5) : '     ';
  const expected = result.expected ? c.dim(' [expected by config]') : '';
  return `  ${paint(`${style.mark} ${result.verdict.toUpperCase().padEnd(12)}`)} ${result.id.padEnd(idWidth)} ${c.dim(severity)} ${printable(result.summary)}${expected} ${c.dim(`(${result.durationMs} ms)`)}`;
}

/**
 * The colour report: one line a check, the fix under each finding, evidence with -v.
 * Summaries and evidence quote the server (and a fix may), so they are escaped
 * before they are coloured, as the transcript escapes replies.
 */
export function renderCheckReport(header: ReportHeader, results: CheckResult[], c: ChalkInstance, options: { verbose?: boolean; durationMs: number }): string[] {
  const lines = [c.bold(`smtpcheck check ${header.target} (role ${header.role}${header.source ? `, probing from ${header.source}` : ''})`)];
  if (header.roleAssumed) lines.push(c.yellow(`  ! role ${header.role} assumed: the port is not 25, 587 or 465; set --role mta|submission|submissions if that is wrong`));
  lines.push(...renderResultLines(results, c, options));
  lines.push(summaryLine(results, options.durationMs, c));
  return lines;
}

/** One line a check, the fix under each finding, evidence with `verbose`. */
export function renderResultLines(results: CheckResult[], c: ChalkInstance, options: { verbose?: boolean }): string[] {
  const idWidth = Math.max(20, ...results.map((result) => result.id.length));
  const lines: string[] = [];
  let previousFix: string | null = null;
  for (const result of results) {
    lines.push(renderResultLine(result, c, idWidth));
    const finding = result.verdict !== 'pass' && result.verdict !== 'skip' && result.verdict !== 'info';
    if (finding && result.fix) {
      // The relay family shares one fix; saying it once keeps the report readable.
      lines.push(c.dim(`      fix: ${result.fix === previousFix ? 'as above' : printable(result.fix)}`));
      previousFix = result.fix;
    }
    if (options.verbose && result.evidence.length > 0) {
      for (const line of evidenceLines(result.evidence)) lines.push(c.dim(`      │ ${printable(line)}`));
    }
  }
  return lines;
}

export function countVerdicts(results: CheckResult[]): Record<Verdict, number> {
  const counts: Record<Verdict, number> = { pass: 0, fail: 0, warn: 0, info: 0, skip: 0, inconclusive: 0, error: 0 };
  for (const result of results) counts[result.verdict] += 1;
  return counts;
}

export function summaryLine(results: CheckResult[], durationMs: number, c: ChalkInstance): string {
  const counts = countVerdicts(results);
  const parts = [
    c.green(`${counts.pass} passed`),
    (counts.fail ? c.red : c.dim)(`${counts.fail} failed`),
    (counts.warn ? c.yellow : c.dim)(`${counts.warn} warnings`),
    c.dim(`${counts.info} info`),
    c.dim(`${counts.skip} skipped`),
    (counts.inconclusive + counts.error ? c.magenta : c.dim)(`${counts.inconclusive} inconclusive, ${counts.error} errors`),
  ];
  return `${c.bold('Summary:')} ${parts.join(', ')} in ${(durationMs / 1000).toFixed(1)} s`;
}

/** Said before the report of an interrupted run: the checks it lacks are those that never started. */
export function interruptionNote(selected: number, reported: number): string {
  return `interrupted: ${selected - reported} of ${selected} checks did not start; the report shows the others`;
}

/** The one line of --quiet: every verdict that can change the exit code is counted. */
export function quietSummary(name: string, results: readonly CheckResult[], exitCode: number): string {
  const count = (verdict: CheckResult['verdict']) => results.filter((result) => result.verdict === verdict && counts(result)).length;
  const unsettled = results.filter((result) => isUnsettled(result.verdict) && counts(result)).length;
  return `${name}: ${results.length} checks, ${count('fail')} failed, ${count('warn')} warnings, ${unsettled} unsettled (exit ${exitCode})`;
}
