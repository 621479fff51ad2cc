import type { CheckDefinition, CheckResult } from '../checks/check.js';
import { ALL_ROLES, severityFor } from '../checks/check.js';
import type { CheckTarget } from '../checks/context.js';
import { CHECKS, findCheck } from '../checks/registry.js';
import { applicable, runChecks } from '../checks/runner.js';
import type { ExitCodeValue } from '../outcome/exit-codes.js';
import { UsageError } from '../core/errors.js';
import { ExitCode, exitCodeForResults } from '../outcome/exit-codes.js';
import { counts, isUnsettled } from '../checks/verdict-policy.js';
import { renderCheckReport } from '../render/check-report.js';
import { jsonReport } from '../render/json-report.js';
import type { TargetFlags } from '../options/check-target.js';
import { checkTargetFrom } from '../options/check-target.js';
import { interruptible } from './interrupt.js';
import type { OutputFlags } from './output.js';
import { CommandOutput } from './output.js';
import { hintFor } from '../outcome/error-hints.js';
import type { BaselineFlags } from './baseline-gate.js';
import { BaselineGate } from './baseline-gate.js';
import type { ShardFlags } from './shard-flags.js';
import type { ReportFormatFlags } from './report-formats.js';
import { writeReportFormats } from './report-formats.js';

/** --shard and --shard-total split suites only (docs/ci.md#shards). */
export interface CheckFlags extends TargetFlags, OutputFlags, BaselineFlags, ShardFlags, ReportFormatFlags {
  checks?: string;
  skip?: string;
  strict?: boolean;
  verbose?: boolean;
  config?: string;
  list?: boolean;
}

/** `check --list`: every check id with its roles, severity and title. */
function renderCheckList(): string {
  const width = Math.max(...CHECKS.map((check) => check.id.length));
  return CHECKS.map((check) => {
    const severity = ALL_ROLES.filter((role) => check.roles.includes(role)).map((role) => severityFor(check, role));
    const uniform = new Set(severity).size === 1 ? severity[0]! : check.roles.map((role, index) => `${role}:${severity[index]}`).join(' ');
    return `${check.id.padEnd(width)}  ${check.roles.join(',').padEnd(31)}  ${uniform.padEnd(8)}  ${check.title}${check.needs?.length ? ` (needs ${check.needs.join(', ')})` : ''}\n`;
  }).join('');
}


export function selectChecks(only: string | undefined, skip: string | undefined, target: CheckTarget): CheckDefinition[] {
  const parse = (list: string | undefined, flag: string) =>
    (list ?? '')
      .split(',')
      .map((id) => id.trim())
      .filter(Boolean)
      .map((id) => {
        const check = findCheck(id);
        if (!check) throw new UsageError(`${flag}: unknown check id ${id}`, 'see `smtpcheck check --list` or docs/checks.md for the ids');
        return check;
      });
  const chosen = only ? parse(only, '--checks') : CHECKS.filter((check) => applicable(check, target));
  const skipped = new Set(parse(skip, '--skip').map((check) => check.id));
  return chosen.filter((check) => !skipped.has(check.id));
}

/** Spinner on a terminal only; nothing animated in pipes and CI logs. */
async function progress(total: number, enabled: boolean): Promise<{ tick(result: CheckResult): void; stop(): void }> {
  if (!enabled || !process.stdout.isTTY) return { tick: () => undefined, stop: () => undefined };
  const { default: ora } = await import('ora');
  const spinner = ora({ text: `running ${total} checks`, stream: process.stdout }).start();
  let done = 0;
  return {
    tick: (result) => {
      done += 1;
      spinner.text = `running checks: ${done}/${total} (${result.id}: ${result.verdict})`;
    },
    stop: () => spinner.stop(),
  };
}

/** `smtpcheck check`: every applicable check against one server, with verdicts, evidence and fixes. */
export async function runCheckCommand(flags: CheckFlags): Promise<number> {
  if (flags.list) {
    process.stdout.write(renderCheckList());
    return ExitCode.ok;
  }
  if (flags.config) {
    const { runSuite } = await import('./suite.js');
    return runSuite({ ...flags, config: flags.config });
  }
  const output = new CommandOutput('check', flags);
  try {
    if (flags.shard !== undefined || flags.shardTotal !== undefined) throw new UsageError('--shard and --shard-total split a suite: they need --config FILE', 'see docs/ci.md#shards');
    const gate = BaselineGate.from(flags);
    const target = await checkTargetFrom(flags, output.transcript);
    const checks = selectChecks(flags.checks, flags.skip, target);
    const started = performance.now();
    const spinner = await progress(checks.length, !flags.json && !flags.quiet);
    const { value: results, interrupted } = await interruptible((signal) => runChecks(checks, target, { onResult: spinner.tick, signal, explainError: hintFor }));
    spinner.stop();
    const durationMs = Math.round(performance.now() - started);
    if (interrupted) output.transcript.warn(interruptionNote(checks.length, results.length));
    return reportResults(output, flags, target, results, durationMs, interrupted, gate);
  } catch (error) {
    return output.fail(error);
  }
}

/** Said before the report of an interrupted run: the checks it lacks are those that never started. */
export function interruptionNote(selected: number, reported: number): string {
  return `interrupted: ${selected - reported} of ${selected} checks did not start; the report shows the others`;
}

/** The report of a run; `interrupted` (Ctrl-C) makes the exit code 130 whatever the results. */
export async function reportResults(output: CommandOutput, flags: CheckFlags, target: CheckTarget, results: CheckResult[], durationMs: number, interrupted: boolean, gate: BaselineGate): Promise<number> {
  const name = `${target.host}:${target.port}`;
  gate.apply(output, [{ name, results }], interrupted);
  output.print(renderCheckReport({ target: name, role: target.role, roleAssumed: target.roleAssumed ?? false }, results, output.palette, { verbose: flags.verbose ?? false, durationMs }).join('\n'));
  const exitCode = gate.exitCode(interrupted ? ExitCode.interrupted : exitCodeForResults(results, flags.strict ?? false));
  if (flags.quiet) output.summary(quietSummary(name, results, exitCode), exitCode === ExitCode.ok);
  await writeReportFormats(flags, [{ name, results, durationMs }, ...gate.suites()]);
  return output.finish({ ...jsonReport(target, results, durationMs, interrupted), ...gate.json() }, exitCode);
}

/** The one line of --quiet: every verdict that can change the exit code is counted. */
export function quietSummary(name: string, results: CheckResult[], exitCode: ExitCodeValue): string {
  const count = (verdict: CheckResult['verdict']) => results.filter((result) => result.verdict === verdict && counts(result)).length;
  const unsettled = results.filter((result) => isUnsettled(result.verdict) && counts(result)).length;
  return `${name}: ${results.length} checks, ${count('fail')} failed, ${count('warn')} warnings, ${unsettled} unsettled (exit ${exitCode})`;
}

