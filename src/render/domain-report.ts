import type { ChalkInstance } from 'chalk';
import type { CheckResult, Verdict } from '../checks/check.js';
import type { DomainInspection, DomainTargetResult } from '../domain/inspect-domain.js';
import { renderResultLines, summaryLine } from './check-report.js';
import { printable } from './printable.js';

/**
 * The text report of `smtpcheck domain`: the domain-wide checks, each MX address's
 * checks, then the matrix a person reads at a glance (docs/domain.md#the-matrix).
 */

/** The matrix columns and the check ids each one sums up: a cell shows the worst verdict of its checks. */
export const MATRIX_COLUMNS: readonly { title: string; ids: readonly string[] }[] = [
  { title: 'reachable', ids: ['mx-reachable'] },
  { title: 'STARTTLS', ids: ['starttls-offered', 'starttls-handshake'] },
  { title: 'certificate', ids: ['cert-chain-trusted', 'cert-hostname', 'cert-validity'] },
  { title: 'DANE', ids: ['dane-tlsa'] },
  { title: 'MTA-STS', ids: ['mta-sts-mx-match'] },
  { title: 'relay', ids: ['relay-control', 'relay-open-basic', 'relay-sender-forms', 'relay-percent', 'relay-quoted', 'relay-double-at', 'relay-source-route', 'relay-bang', 'relay-domain-forms'] },
];

// Worst first: what a cell shows when its checks disagree.
const SEVERITY_ORDER: readonly Verdict[] = ['fail', 'error', 'inconclusive', 'warn', 'info', 'pass', 'skip'];

export function worstVerdict(results: readonly CheckResult[], ids: readonly string[]): Verdict | null {
  const verdicts = new Set(results.filter((result) => ids.includes(result.id)).map((result) => result.verdict));
  return SEVERITY_ORDER.find((verdict) => verdicts.has(verdict)) ?? null;
}

const CELL_COLOUR: Record<Verdict, (c: ChalkInstance) => (text: string) => string> = {
  pass: (c) => c.green,
  fail: (c) => c.red,
  warn: (c) => c.yellow,
  info: (c) => c.blue,
  skip: (c) => c.dim,
  inconclusive: (c) => c.magenta,
  error: (c) => c.red,
};

const targetName = (target: DomainTargetResult): string => `${target.host} ${target.address.includes(':') ? `[${target.address}]` : target.address}:${target.port}`;

export function renderMatrix(inspection: DomainInspection, c: ChalkInstance): string[] {
  const domainLine = inspection.checks.map((check) => `${check.id} ${CELL_COLOUR[check.verdict](c)(check.verdict)}`).join('  ');
  const lines = [c.bold(`${inspection.domain}: ${domainLine || 'no domain-wide checks selected'}`)];
  if (inspection.targets.length === 0) {
    lines.push('  no MX address to test');
    return lines;
  }
  const header = ['pref', 'MX address', ...MATRIX_COLUMNS.map((column) => column.title)];
  const rows = inspection.targets.map((target) => [String(target.preference), targetName(target), ...MATRIX_COLUMNS.map((column) => worstVerdict(target.checks, column.ids) ?? '—')]);
  const widths = header.map((title, index) => Math.max(title.length, ...rows.map((row) => row[index]!.length)));
  lines.push(`  ${header.map((title, index) => title.padEnd(widths[index]!)).join('  ')}`.trimEnd());
  for (const row of rows) {
    const cells = row.map((cell, index) => {
      const padded = index === row.length - 1 ? cell : cell.padEnd(widths[index]!);
      return index < 2 ? printable(padded) : cell in CELL_COLOUR ? CELL_COLOUR[cell as Verdict](c)(padded) : padded;
    });
    lines.push(`  ${cells.join('  ')}`);
  }
  return lines;
}

export function renderDomainReport(inspection: DomainInspection, resolvers: readonly string[], c: ChalkInstance, options: { verbose?: boolean; durationMs: number }): string[] {
  const lines = [c.bold(`smtpcheck domain ${inspection.domain} (resolver ${resolvers.join(', ')})`)];
  lines.push(...renderResultLines(inspection.checks, c, options));
  for (const target of inspection.targets) {
    lines.push('', c.bold(`MX ${target.preference} ${printable(targetName(target))}`));
    lines.push(...renderResultLines(target.checks, c, options));
  }
  lines.push('', ...renderMatrix(inspection, c));
  lines.push(summaryLine([...inspection.checks, ...inspection.targets.flatMap((target) => target.checks)], options.durationMs, c));
  return lines;
}
