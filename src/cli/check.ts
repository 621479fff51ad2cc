import { writeFileSync } from 'node:fs';
import type { CheckDefinition, CheckResult } from '../checks/check.js';
import type { CheckTarget } from '../checks/context.js';
import { CHECKS, findCheck } from '../checks/registry.js';
import { applicable, runChecks } from '../checks/runner.js';
import type { ExitCodeValue } from '../core/errors.js';
import { ExitCode, UsageError } from '../core/errors.js';
import { renderCheckReport } from '../render/check-report.js';
import { renderGithubAnnotations } from '../render/github-annotations.js';
import { renderJunit } from '../render/junit.js';
import type { TargetFlags } from './check-target.js';
import { checkTargetFrom } from './check-target.js';
import type { OutputFlags } from './output.js';
import { CommandOutput } from './output.js';

export interface CheckFlags extends TargetFlags, OutputFlags {
  checks?: string;
  skip?: string;
  strict?: boolean;
  verbose?: boolean;
  junit?: string;
  config?: string;
}

/** CI exit codes (docs/exit-codes.md): failures beat unsettled results; warnings fail only with --strict. */
export function exitCodeForResults(allResults: CheckResult[], strict: boolean): ExitCodeValue {
  const results = allResults.filter((result) => !result.expected);
  if (results.some((result) => result.verdict === 'fail' || (strict && result.verdict === 'warn'))) return ExitCode.checksFailed;
  if (results.some((result) => result.verdict === 'error' || result.verdict === 'inconclusive')) return ExitCode.checksInconclusive;
  return ExitCode.ok;
}

export function selectChecks(only: string | undefined, skip: string | undefined, target: CheckTarget): CheckDefinition[] {
  const parse = (list: string | undefined, flag: string) =>
    (list ?? '')
      .split(',')
      .map((id) => id.trim())
      .filter(Boolean)
      .map((id) => {
        const check = findCheck(id);
        if (!check) throw new UsageError(`${flag}: unknown check id ${id}`, 'see docs/checks.md or `smtpcheck check --list` for the ids');
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
  if (flags.config) {
    const { runSuite } = await import('./suite.js');
    return runSuite({ ...flags, config: flags.config });
  }
  const output = new CommandOutput('check', flags);
  try {
    const target = await checkTargetFrom(flags, output.transcript);
    const checks = selectChecks(flags.checks, flags.skip, target);
    const started = performance.now();
    const spinner = await progress(checks.length, !flags.json && !flags.quiet);
    const results = await runChecks(checks, target, { onResult: spinner.tick });
    spinner.stop();
    const durationMs = Math.round(performance.now() - started);
    return reportResults(output, flags, target, results, durationMs);
  } catch (error) {
    return output.fail(error);
  }
}

export function reportResults(output: CommandOutput, flags: CheckFlags, target: CheckTarget, results: CheckResult[], durationMs: number): number {
  const name = `${target.host}:${target.port}`;
  output.print(renderCheckReport({ target: name, role: target.role, roleAssumed: target.roleAssumed ?? false }, results, output.palette, { verbose: flags.verbose ?? false, durationMs }).join('\n'));
  if (flags.quiet && !flags.json) {
    const failed = results.filter((result) => result.verdict === 'fail').length;
    output.summary(`${name}: ${results.length} checks, ${failed} failed`, failed === 0);
  }
  if (flags.junit) writeFileSync(flags.junit, renderJunit([{ name, results, durationMs }]));
  if (process.env.GITHUB_ACTIONS === 'true') for (const line of renderGithubAnnotations(name, results)) process.stdout.write(`${line}\n`);
  const exitCode = exitCodeForResults(results, flags.strict ?? false);
  return output.finish(jsonReport(target, results, durationMs), exitCode);
}

/** The documented --json schema (docs/json.md). */
export function jsonReport(target: CheckTarget, results: CheckResult[], durationMs: number): Record<string, unknown> {
  const counts: Record<string, number> = {};
  for (const result of results) counts[result.verdict] = (counts[result.verdict] ?? 0) + 1;
  return {
    target: { host: target.host, port: target.port, role: target.role },
    checks: results.map(({ id, title, verdict, severity, summary, evidence, fix, durationMs: ms, details, expected }) => ({ id, title, verdict, severity, summary, evidence, fix, durationMs: ms, ...(expected ? { expected } : {}), ...(details !== undefined ? { details } : {}) })),
    summary: { total: results.length, ...counts, durationMs },
  };
}
