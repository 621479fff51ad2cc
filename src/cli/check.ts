import type { CheckResult } from '../checks/check.js';
import { ALL_ROLES, severityFor } from '../checks/check.js';
import type { CheckTarget } from '../checks/context.js';
import { CHECKS } from '../checks/registry.js';
import { runChecks } from '../checks/runner.js';
import { UsageError } from '../core/errors.js';
import { ExitCode, exitCodeForResults } from '../outcome/exit-codes.js';
import { interruptionNote, quietSummary, renderCheckReport } from '../render/check-report.js';
import type { CheckFlags } from './check-flags.js';
import { selectChecks } from './check-flags.js';
import { jsonReport } from '../render/json-report.js';
import { checkTargetFrom } from '../options/check-target.js';
import { interruptible } from './interrupt.js';
import { CommandOutput } from './output.js';
import { hintFor } from '../outcome/error-hints.js';
import { BaselineGate } from './baseline-gate.js';
import { writeReportFormats } from './report-formats.js';


/** `check --list`: every check id with its roles, severity and title. */
function renderCheckList(): string {
  const width = Math.max(...CHECKS.map((check) => check.id.length));
  return CHECKS.map((check) => {
    const severity = ALL_ROLES.filter((role) => check.roles.includes(role)).map((role) => severityFor(check, role));
    const uniform = new Set(severity).size === 1 ? severity[0]! : check.roles.map((role, index) => `${role}:${severity[index]}`).join(' ');
    return `${check.id.padEnd(width)}  ${check.roles.join(',').padEnd(31)}  ${uniform.padEnd(8)}  ${check.title}${check.needs?.length ? ` (needs ${check.needs.join(', ')})` : ''}\n`;
  }).join('');
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


/** The report of a run; `interrupted` (Ctrl-C) makes the exit code 130 whatever the results. */
export async function reportResults(output: CommandOutput, flags: CheckFlags, target: CheckTarget, results: CheckResult[], durationMs: number, interrupted: boolean, gate: BaselineGate): Promise<number> {
  const name = `${target.connection.host}:${target.connection.port}`;
  gate.apply(output, [{ name, results }], interrupted);
  output.print(renderCheckReport({ target: name, role: target.role, roleAssumed: target.roleAssumed ?? false }, results, output.palette, { verbose: flags.verbose ?? false, durationMs }).join('\n'));
  const exitCode = gate.exitCode(interrupted ? ExitCode.interrupted : exitCodeForResults(results, flags.strict ?? false));
  if (flags.quiet) output.summary(quietSummary(name, results, exitCode), exitCode === ExitCode.ok);
  await writeReportFormats(flags, [{ name, results, durationMs }, ...gate.suites()]);
  return output.finish({ ...jsonReport(target, results, durationMs, interrupted), ...gate.json() }, exitCode);
}


