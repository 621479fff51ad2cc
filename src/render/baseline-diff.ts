import type { ChalkInstance } from 'chalk';
import type { BaselineChange, BaselineComparison } from '../checks/baseline.js';
import type { CheckResult } from '../checks/check.js';
import { printable } from './printable.js';

const move = (change: BaselineChange) => `${change.before ?? 'absent'} → ${change.after ?? 'not run'}`;

/** The comparison with a baseline, shown before the report: what got worse first, then what got better. */
export function renderBaselineDiff(comparison: BaselineComparison, file: string, c: ChalkInstance): string[] {
  const lines = [c.bold(`Against the baseline ${printable(file)}:`)];
  const line = (change: BaselineChange) => `  ${change.target}  ${change.id.padEnd(30)} ${move(change).padEnd(24)} ${printable(change.summary)}`;
  if (comparison.worse.length === 0) lines.push(c.green(`  ✔ nothing got worse`));
  else lines.push(c.red(`  ✘ ${comparison.worse.length} got worse:`), ...comparison.worse.map((change) => c.red(line(change))));
  if (comparison.better.length > 0) lines.push(c.green(`  ${comparison.better.length} got better:`), ...comparison.better.map((change) => c.green(line(change))));
  const changed = comparison.changes.filter((change) => change.movement === 'changed');
  if (changed.length > 0) lines.push(c.yellow(`  ${changed.length} changed, neither better nor worse:`), ...changed.map((change) => c.yellow(line(change))));
  const same = comparison.changes.filter((change) => change.movement === 'same').length;
  const added = comparison.changes.filter((change) => change.movement === 'new').length;
  lines.push(c.dim(`  ${same} unchanged${added ? `, ${added} new (not failing)` : ''}`));
  if (comparison.unknownIds.length > 0) lines.push(c.yellow(`  ! check ids this smtpcheck does not know, ignored: ${comparison.unknownIds.join(', ')}`));
  if (comparison.targetsNotRun.length > 0) lines.push(c.dim(`  targets in the baseline not run here: ${comparison.targetsNotRun.map(printable).join(', ')}`));
  if (comparison.newTargets.length > 0) lines.push(c.dim(`  targets not in the baseline: ${comparison.newTargets.map(printable).join(', ')}`));
  return [...lines, ''];
}

/** The comparison as results for JUnit and annotations: one failing case per check that got worse, one passing case per improvement. */
export function baselineResults(comparison: BaselineComparison): CheckResult[] {
  const asResult = (change: BaselineChange, verdict: 'fail' | 'pass'): CheckResult => ({
    id: `${change.target} ${change.id}`,
    title: `${change.id} against the baseline`,
    verdict,
    severity: 'high',
    summary: `${move(change)}: ${change.summary}`,
    evidence: [],
    fix: null,
    durationMs: 0,
  });
  return [...comparison.worse.map((change) => asResult(change, 'fail')), ...comparison.better.map((change) => asResult(change, 'pass'))];
}
