import { readFileSync } from 'node:fs';
import { linesEvidence } from '../checks/evidence.js';
import type { CheckResult, Verdict } from '../checks/check.js';
import type { RunOutcome } from '../checks/verdict-policy.js';
import { runOutcome, worstOutcome } from '../checks/verdict-policy.js';
import { mergeNotes } from '../checks/shard.js';
import { UsageError } from '../core/errors.js';
import { printable } from '../render/printable.js';
import { quietSummary } from '../render/check-report.js';
import type { ExitCodeValue } from '../outcome/exit-codes.js';
import { ExitCode, exitCodeForOutcome } from '../outcome/exit-codes.js';
import type { OutputFlags } from './output.js';
import { CommandOutput } from './output.js';
import { mergeBenchReports } from '../bench/bench-merge.js';
import { renderBenchReport } from '../bench/bench-report.js';
import type { BenchReport } from '../bench/bench-stats.js';
import { benchExitCode } from '../bench/bench-stats.js';
import { writeReportFormats } from './report-formats.js';

/**
 * `smtpcheck report merge FILE…`: the JSON reports of a sharded suite (or of several
 * runs) as one report of the same shape, its exit code recomputed from the merged
 * verdicts (docs/ci.md#shards). What does not fit together is said, never hidden:
 * duplicate targets, missing shards, reports of different suites or versions.
 */
export interface MergeFlags extends OutputFlags {
  junit?: string;
}

interface TargetReport {
  name: string;
  position?: number;
  error?: string | null;
  checks?: ReportedCheck[];
  summary?: { durationMs?: number; interrupted?: boolean };
  [key: string]: unknown;
}

/** A check as a JSON report holds it (docs/json.md): evidence as lines, details in their JSON shape. */
type ReportedCheck = Pick<CheckResult, 'id' | 'verdict' | 'summary'> & Partial<Omit<CheckResult, 'evidence' | 'details'>> & { evidence?: string[]; details?: unknown };

interface SuiteInfo {
  file?: string;
  targets?: number;
  strict?: boolean;
  smtpcheck?: string;
  shard?: { index: number; total: number; source: string };
}

interface BaselineSummary {
  worse: unknown[];
  better: unknown[];
  changed: unknown[];
  unchanged: number;
  new: number;
  targetsNotRun: string[];
  [key: string]: unknown;
}

interface CheckReport {
  file: string;
  suite: SuiteInfo;
  targets: TargetReport[];
  events: unknown[];
  interrupted: boolean;
  durationMs: number;
  baseline: BaselineSummary | null;
}

/** The file's JSON, or the usage error that says why there is none (reported once the kind of merge is known). */
function readJson(file: string): Record<string, unknown> | UsageError {
  try {
    return JSON.parse(readFileSync(file, 'utf8')) as Record<string, unknown>;
  } catch (error) {
    const why = error instanceof SyntaxError ? 'is not JSON' : `cannot be read (${(error as NodeJS.ErrnoException).code ?? 'unreadable'})`;
    return new UsageError(`${file} ${why}`, 'give the files that smtpcheck check --config … --json (or bench --json) wrote');
  }
}

function readReport(file: string, data: Record<string, unknown>): CheckReport {
  const result = data.result as Record<string, unknown> | undefined;
  if (data.command !== 'check' || !result) {
    throw new UsageError(`${file} is not the JSON report of smtpcheck check${data.command ? ` (it is from ${JSON.stringify(data.command)})` : ''}`, 'give the files that smtpcheck check --config … --json wrote');
  }
  const summary = (result.summary ?? {}) as { durationMs?: number; interrupted?: boolean };
  const common = { file, events: Array.isArray(data.events) ? data.events : [], interrupted: summary.interrupted === true, durationMs: summary.durationMs ?? 0, baseline: (result.baseline as BaselineSummary | undefined) ?? null };
  if (Array.isArray(result.targets)) return { ...common, suite: (result.suite ?? {}) as SuiteInfo, targets: result.targets as TargetReport[] };
  // One server's report (check --server … --json): one target named HOST:PORT.
  const target = result.target as { host?: string; port?: number } | undefined;
  if (!target || !Array.isArray(result.checks)) throw new UsageError(`${file} has neither targets nor checks`, 'give the files that smtpcheck check … --json wrote');
  return { ...common, suite: {}, targets: [{ name: `${target.host}:${target.port}`, target, checks: result.checks as TargetReport['checks'], summary }] };
}

export async function runReportMerge(files: string[], flags: MergeFlags): Promise<number> {
  const documents = files.map((file) => ({ file, data: readJson(file) }));
  const commands = new Set(documents.map((document) => (document.data instanceof UsageError ? null : document.data.command)));
  if (commands.size === 1 && commands.has('bench')) return mergeBench(documents.map((document) => document.data as Record<string, unknown>), files, flags);
  const output = new CommandOutput('check', flags);
  try {
    if (files.length === 0) throw new UsageError('no report to merge', 'give the JSON files: smtpcheck report merge shard-*.json');
    const failed = documents.find((document) => document.data instanceof UsageError);
    if (failed) throw failed.data;
    if (commands.has('bench')) throw new UsageError('the files mix check and bench reports', 'merge the reports of one kind at a time');
    const reports = documents.map((document) => readReport(document.file, document.data as Record<string, unknown>));
    const notes = mismatches(reports);
    const seen = new Map<string, string>();
    const targets: TargetReport[] = [];
    for (const report of reports) {
      for (const target of report.targets) {
        const key = `${target.position ?? ''}\u0000${target.name}`;
        const earlier = seen.get(key);
        if (earlier) {
          notes.push(`target ${target.name} is in ${earlier} and in ${report.file}: the first is kept`);
          continue;
        }
        seen.set(key, report.file);
        targets.push(target);
      }
    }
    // Suite order: the unsharded run lists targets as the file does.
    targets.sort((a, b) => (a.position ?? Number.MAX_SAFE_INTEGER) - (b.position ?? Number.MAX_SAFE_INTEGER));
    const strict = reports.some((report) => report.suite.strict === true);
    const interrupted = reports.some((report) => report.interrupted);
    const outcome = worstOutcome(targets.map((target) => targetOutcome(target, strict)));
    const baseline = mergeBaselines(reports, targets, notes);
    let exitCode: ExitCodeValue = interrupted ? ExitCode.interrupted : exitCodeForOutcome(outcome);
    if (baseline && !interrupted) exitCode = baseline.worse.length > 0 ? ExitCode.worseThanBaseline : ExitCode.ok;

    for (const note of notes) output.transcript.warn(note);
    for (const target of targets) {
      const line = target.error ? `${target.name}: ${target.error}` : quietSummary(target.name, resultsOf(target), exitCodeForOutcome(targetOutcome(target, strict)));
      output.print(`${target.error ? '✘' : '·'} ${printable(line)}`);
    }
    output.summary(`${targets.length} targets from ${reports.length} reports${baseline ? `, ${baseline.worse.length} checks worse than the baseline` : ''} (exit ${exitCode})`, exitCode === ExitCode.ok);
    await writeReportFormats(flags, targets.map((target) => ({ name: target.name, results: resultsOf(target), durationMs: target.summary?.durationMs ?? 0 })));
    const first = reports[0]!.suite;
    return output.finish(
      {
        suite: { ...first, ...(first.shard ? { shard: undefined } : {}), shards: reports.map((report) => report.suite.shard ?? null) },
        targets,
        summary: { targets: targets.length, durationMs: Math.max(...reports.map((report) => report.durationMs)), ...(interrupted ? { interrupted } : {}) },
        ...(baseline ? { baseline } : {}),
        merged: { files, notes },
      },
      exitCode,
    );
  } catch (error) {
    return output.fail(error);
  }
}

function resultsOf(target: TargetReport): CheckResult[] {
  return (target.checks ?? []).map(({ evidence, details, ...check }) => ({
    title: check.id,
    severity: 'info',
    fix: null,
    durationMs: 0,
    ...check,
    verdict: check.verdict as Verdict,
    evidence: linesEvidence(Array.isArray(evidence) ? evidence.map(String) : []),
    ...(details === undefined ? {} : { details: { kind: 'reported', json: details } as const }),
  }));
}

/** As the suite judged it: a target that could not run is unsettled, never ok. */
function targetOutcome(target: TargetReport, strict: boolean): RunOutcome {
  return target.error ? 'unsettled' : runOutcome(resultsOf(target), strict);
}

function mismatches(reports: CheckReport[]): string[] {
  return mergeNotes(
    [
      ['suite file', reports.map((report) => report.suite.file)],
      ['smtpcheck version', reports.map((report) => report.suite.smtpcheck)],
      ['number of targets in the suite', reports.map((report) => report.suite.targets)],
      ['strictness', reports.map((report) => report.suite.strict)],
    ],
    reports.map((report) => report.suite.shard).filter((shard) => shard !== undefined),
  );
}

/** The shards' comparisons with one baseline, as one: a target counts as not run only if no shard ran it. */
function mergeBaselines(reports: CheckReport[], targets: TargetReport[], notes: string[]): BaselineSummary | null {
  const withBaseline = reports.filter((report) => report.baseline);
  if (withBaseline.length === 0) return null;
  if (withBaseline.length < reports.length) notes.push(`only ${withBaseline.length} of ${reports.length} reports were compared with a baseline`);
  const ran = new Set(targets.map((target) => target.name));
  const baselines = withBaseline.map((report) => report.baseline!);
  return {
    ...baselines[0]!,
    worse: baselines.flatMap((baseline) => baseline.worse),
    better: baselines.flatMap((baseline) => baseline.better),
    changed: baselines.flatMap((baseline) => baseline.changed),
    unchanged: baselines.reduce((sum, baseline) => sum + baseline.unchanged, 0),
    new: baselines.reduce((sum, baseline) => sum + baseline.new, 0),
    targetsNotRun: [...new Set(baselines.flatMap((baseline) => baseline.targetsNotRun))].filter((name) => !ran.has(name)),
  };
}

/** Bench reports (shards of one load on several machines) as one load report; its exit code as bench's. */
function mergeBench(documents: Record<string, unknown>[], files: string[], flags: MergeFlags): number {
  const output = new CommandOutput('bench', flags);
  try {
    const reports = documents.map((document, index) => {
      const report = document.result as BenchReport | undefined;
      if (!report?.parameters || !report.messages) throw new UsageError(`${files[index]} is a bench report without a result (the run failed before it measured)`, 'merge only the runs that finished');
      if (!report.histograms) throw new UsageError(`${files[index]} has no latency histograms (an older smtpcheck wrote it)`, 'rerun that shard with this version');
      return report;
    });
    let merged: ReturnType<typeof mergeBenchReports>;
    try {
      merged = mergeBenchReports(reports);
    } catch (error) {
      if (!(error instanceof RangeError)) throw error;
      throw new UsageError(`a bench report's histogram does not merge: ${error.message}`, 'give the unmodified files that smtpcheck bench --json wrote');
    }
    for (const note of merged.notes) output.transcript.warn(note);
    const exitCode = benchExitCode(merged.report);
    output.print(renderBenchReport(merged.report, output.palette).join('\n'));
    output.summary(`${reports.length} bench runs merged: ${merged.report.messages.accepted} of ${merged.report.messages.attempted} messages accepted, ${merged.report.messagesPerSecond} messages/s (exit ${exitCode})`, exitCode === ExitCode.ok);
    return output.finish({ ...merged.report, merged: { files, notes: merged.notes } }, exitCode);
  } catch (error) {
    return output.fail(error);
  }
}
