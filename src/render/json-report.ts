import type { CheckResult } from '../checks/check.js';
import type { CheckTarget } from '../checks/context.js';
import type { DomainInspection } from '../domain/inspect-domain.js';
import { evidenceLines } from './evidence-lines.js';
import { jsonDetails } from './json-details.js';

/** One check result as --json shows it (docs/json.md). */
export function jsonCheck({ id, title, verdict, severity, summary, evidence, fix, durationMs, details, expected }: CheckResult): Record<string, unknown> {
  return { id, title, verdict, severity, summary, evidence: evidenceLines(evidence), fix, durationMs, ...(expected ? { expected } : {}), ...(details !== undefined ? { details: jsonDetails(details) } : {}) };
}

/** The documented --json schema (docs/json.md). */
export function jsonReport(target: Pick<CheckTarget, 'host' | 'port' | 'role'>, results: readonly CheckResult[], durationMs: number, interrupted = false): Record<string, unknown> {
  const counts: Record<string, number> = {};
  for (const result of results) counts[result.verdict] = (counts[result.verdict] ?? 0) + 1;
  return {
    target: { host: target.host, port: target.port, role: target.role },
    checks: results.map(jsonCheck),
    summary: { total: results.length, ...counts, durationMs, ...(interrupted ? { interrupted } : {}) },
  };
}

/** The `result` of the --json envelope (docs/domain.md#json). */
export function domainJson(inspection: DomainInspection, durationMs: number): Record<string, unknown> {
  return {
    domain: inspection.domain,
    checks: inspection.checks.map(jsonCheck),
    targets: inspection.targets.map(({ host, address, port, preference, checks }) => ({ host, address, port, preference, checks: checks.map(jsonCheck) })),
    durationMs,
  };
}
