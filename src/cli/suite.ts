import type { CheckResult } from '../checks/check.js';
import { ConnectionSlots } from '../checks/connection-slots.js';
import type { CheckTarget } from '../checks/context.js';
import { runChecks } from '../checks/runner.js';
import type { ExitCodeValue } from '../outcome/exit-codes.js';
import { ExitCode, exitCodeForOutcome } from '../outcome/exit-codes.js';
import type { RunOutcome } from '../checks/verdict-policy.js';
import { runOutcome, worstOutcome } from '../checks/verdict-policy.js';
import { Transcript } from '../core/transcript.js';
import { renderCheckReport, summaryLine } from '../render/check-report.js';
import { domainJson, jsonReport } from '../render/json-report.js';
import { printable } from '../render/printable.js';
import type { CheckFlags } from './check-flags.js';
import { selectChecks } from './check-flags.js';
import { interruptionNote, quietSummary } from '../render/check-report.js';
import { writeReportFormats } from './report-formats.js';
import { CHECK_HELO_NAME, checkTargetFor } from '../options/check-target.js';
import type { ConnectionOverrides } from '../options/connection-options.js';
import { connectionSpecWith, tlsModeFrom } from '../options/connection-options.js';
import { parseServer } from '../options/target.js';
import type { ConnectionSpec } from '../core/connection-spec.js';
import type { TlsMode } from '../core/establish.js';
import { interruptible } from './interrupt.js';
import { CommandOutput } from './output.js';
import type { SuiteTarget } from './suite-config.js';
import { ConfigError, loadSuiteConfig } from './suite-config.js';
import { hintFor } from '../outcome/error-hints.js';
import { BaselineGate } from './baseline-gate.js';
import { shardSlice } from '../checks/shard.js';
import { shardFromFlags } from './shard-flags.js';
import { SMTPCHECK_VERSION } from './version.js';
import type { DomainRun } from './domain.js';
import { allResults, isKnownCheckId, runDomainInspection } from './domain.js';
import { renderDomainReport } from '../render/domain-report.js';

interface TargetRun {
  target: SuiteTarget;
  checkTarget: CheckTarget | null;
  /** A domain target's inspection (docs/domain.md); its results are also in `results`. */
  domain?: DomainRun;
  results: CheckResult[];
  /** How many checks were selected: after Ctrl-C, more than there are results. */
  selected: number;
  durationMs: number;
  error: string | null;
  /** Ctrl-C came before the target's checks were done. */
  interrupted: boolean;
}

/**
 * `smtpcheck check --config FILE`: every target of the suite, concurrently, one
 * connection budget for all. Ctrl-C ends every target's run at once; the report,
 * the JUnit file and the annotations show what finished, and the exit code is 130.
 */
export async function runSuite(flags: CheckFlags & { config: string }): Promise<number> {
  const output = new CommandOutput('check', flags);
  try {
    const config = loadSuiteConfig(flags.config);
    const gate = BaselineGate.from(flags, isKnownCheckId);
    const shard = shardFromFlags(flags, 'docs/ci.md#shards');
    const slice = shardSlice(config.targets, shard);
    const targets = slice.map(({ item }) => item);
    // A password variable that is not set is a configuration error (exit 12), found
    // before any target is contacted; a shard needs only its own targets' secrets.
    for (const target of targets) {
      if (target.auth && !process.env[target.auth.passwordEnv]) {
        throw new ConfigError(`target ${target.name}: environment variable ${target.auth.passwordEnv} is not set`, `export ${target.auth.passwordEnv}=… before running the suite`);
      }
    }
    const slots = new ConnectionSlots(config.maxConnections);
    const started = performance.now();
    const { value: runs, interrupted } = await interruptible((signal) => Promise.all(targets.map((target) => runTarget(target, flags, slots, signal))));
    const durationMs = Math.round(performance.now() - started);
    const strict = flags.strict ?? config.strict;
    // A target that could not be run at all has no verdict: unsettled, never ok.
    const targetOutcome = (run: TargetRun): RunOutcome => (run.error ? 'unsettled' : runOutcome(run.results, strict));
    const targetExitCode = (run: TargetRun): ExitCodeValue => gate.exitCode(run.interrupted ? ExitCode.interrupted : exitCodeForOutcome(targetOutcome(run)), run.target.name);
    if (shard) output.print(output.palette.bold(`shard ${shard.index}/${shard.total} (${shard.source}): ${targets.length} of ${config.targets.length} targets: ${targets.map((target) => printable(target.name)).join(', ') || 'none'}\n`));
    // A target that could not run at all has no results: every check its baseline had is then "not run", worse.
    gate.apply(output, runs.map((run) => ({ name: run.target.name, results: run.results })), interrupted);
    for (const run of runs) {
      if (run.domain) {
        output.print(renderDomainReport(run.domain.inspection, run.domain.resolvers, output.palette, { verbose: flags.verbose ?? false, durationMs: run.durationMs }).join('\n'));
        output.print('');
        continue;
      }
      if (run.error || !run.checkTarget) {
        output.print(output.palette.red(`✘ ${run.target.name}: ${printable(run.error ?? '')}`));
        continue;
      }
      if (run.interrupted) output.transcript.warn(`${run.target.name}: ${interruptionNote(run.selected, run.results.length)}`);
      output.print(renderCheckReport({ target: `${run.target.name} (${run.checkTarget.connection.host}:${run.checkTarget.connection.port})`, role: run.checkTarget.role, roleAssumed: run.checkTarget.roleAssumed ?? false }, run.results, output.palette, { verbose: flags.verbose ?? false, durationMs: run.durationMs }).join('\n'));
      output.print('');
    }
    const allResults = runs.flatMap((run) => run.results);
    output.print(`${output.palette.bold(`${runs.length} targets.`)} ${summaryLine(allResults, durationMs, output.palette)}`);
    await writeReportFormats(flags, [...runs.map((run) => ({ name: run.target.name, results: run.results, durationMs: run.durationMs })), ...gate.suites()]);
    const exitCode: ExitCodeValue = gate.exitCode(interrupted ? ExitCode.interrupted : exitCodeForOutcome(worstOutcome(runs.map(targetOutcome))));
    if (flags.quiet) {
      for (const run of runs) output.summary(run.error ? `${run.target.name}: ${run.error}` : quietSummary(run.target.name, run.results, targetExitCode(run)), targetExitCode(run) === ExitCode.ok);
    }
    return output.finish(
      {
        suite: { file: flags.config, targets: config.targets.length, strict, smtpcheck: SMTPCHECK_VERSION, ...(shard ? { shard } : {}) },
        targets: runs.map((run, index) => ({
          name: run.target.name,
          position: slice[index]!.position,
          ...(run.domain ? domainJson(run.domain.inspection, run.durationMs) : run.checkTarget ? jsonReport(run.checkTarget, run.results, run.durationMs, run.interrupted) : { error: run.error }),
        })),
        summary: { targets: runs.length, durationMs, ...(interrupted ? { interrupted } : {}) },
        ...gate.json(),
      },
      exitCode,
    );
  } catch (error) {
    return output.fail(error);
  }
}

async function runTarget(target: SuiteTarget, flags: CheckFlags, slots: ConnectionSlots, signal: AbortSignal): Promise<TargetRun> {
  const started = performance.now();
  if (target.domain) return runDomainTarget(target, target.domain, flags, slots, signal);
  try {
    const password = target.auth ? process.env[target.auth.passwordEnv] : undefined;
    const checkTarget = await checkTargetFor(
      suiteConnection(target, flags),
      {
        ...sharedTargetFlags(target),
        ...(flags.retryDeferred !== undefined && target.retryDeferred === undefined ? { retryDeferred: flags.retryDeferred } : {}),
        ...(target.role ? { role: target.role } : {}),
        ...(target.localDomain ? { localDomain: target.localDomain } : {}),
        ...(target.alias ? { alias: target.alias } : {}),
        ...(target.otherSender ? { otherSender: target.otherSender } : {}),
        ...(target.auth ? { authUser: target.auth.user } : {}),
      },
      new Transcript(),
      password,
    );
    // Its own slots, as many as the run's: a target that pushes back shrinks only its own.
    checkTarget.slots = new ConnectionSlots(slots.size, slots);
    if (target.certDaysLeft !== undefined) checkTarget.certWarningDays = target.certDaysLeft;
    const checks = selectChecks(target.checks?.join(','), target.skip?.join(','), checkTarget);
    // A check still running at Ctrl-C ends `error` with no verdict, and reaches onResult
    // after the abort (the runner decides both at once): `expect: error` must not make
    // it an accepted result, which JUnit would show as a passed test.
    const cutShort = new Set<CheckResult>();
    const results = await runChecks(checks, checkTarget, {
      signal,
      explainError: hintFor,
      onResult: (result) => {
        if (signal.aborted) cutShort.add(result);
      },
    });
    const interrupted = signal.aborted;
    const marked = results.map((result) => (cutShort.has(result) ? result : markExpected(target, result)));
    return { target, checkTarget, results: marked, selected: checks.length, durationMs: Math.round(performance.now() - started), error: null, interrupted };
  } catch (error) {
    return { target, checkTarget: null, results: [], selected: 0, durationMs: Math.round(performance.now() - started), error: (error as Error).message, interrupted: false };
  }
}

/** The target keys that mean the same for a server and a domain target. */
/**
 * A suite target's connection: its server, TLS mode, CA, TLS name, EHLO name and
 * timeout from the file, as typed values; every other connection setting (and those
 * the file leaves out) from the command line's flags (docs/ci.md#a-target).
 */
export function suiteConnection(target: SuiteTarget, flags: CheckFlags): ConnectionSpec {
  const tlsMode: TlsMode = target.tls ?? tlsModeFrom(flags);
  const server = parseServer(target.server, undefined, tlsMode === 'implicit' ? 465 : 25);
  return connectionSpecWith(server, { ...suiteOverrides(target), tlsMode, ...(target.tlsServername ? { servername: target.tlsServername } : {}) }, flags, CHECK_HELO_NAME);
}

/** The connection entries a server target and a domain target share, as values. */
function suiteOverrides(target: SuiteTarget): ConnectionOverrides {
  return {
    ...(target.tlsCa ? { caFile: target.tlsCa } : {}),
    ...(target.helo ? { heloName: target.helo } : {}),
    ...(target.timeout !== undefined ? { timeoutMs: Math.round(target.timeout * 1000) } : {}),
  };
}

/** The placeholders a suite target shares with a domain target. */
function sharedTargetFlags(target: SuiteTarget): Partial<CheckFlags> {
  return {
    ...(target.localRecipient ? { localRecipient: target.localRecipient } : {}),
    ...(target.foreignDomain ? { foreignDomain: target.foreignDomain } : {}),
    ...(target.retryDeferred !== undefined ? { retryDeferred: String(target.retryDeferred) } : {}),
  };
}

/** A verdict the suite declared acceptable for this target does not fail the run (never a pass: it needs no marking). */
function markExpected(target: SuiteTarget, result: CheckResult): CheckResult {
  return target.expect[result.id]?.includes(result.verdict) && result.verdict !== 'pass' ? { ...result, expected: true } : result;
}

/**
 * `domain: NAME`: every MX address of the domain, as `smtpcheck domain` tests them.
 * Each MX address has its own connection budget (--concurrency), not the suite's
 * max-connections.
 */
async function runDomainTarget(target: SuiteTarget, domain: string, flags: CheckFlags, slots: ConnectionSlots, signal: AbortSignal): Promise<TargetRun> {
  const started = performance.now();
  try {
    const run = await runDomainInspection(
      domain,
      {
        ...pickConnectionFlags(flags),
        ...sharedTargetFlags(target),
        ...(target.resolver ? { resolver: target.resolver } : {}),
        ...(target.checks ? { checks: target.checks.join(',') } : {}),
        ...(target.skip ? { skip: target.skip.join(',') } : {}),
      },
      new Transcript(),
      signal,
      { slots, connection: suiteOverrides(target) },
    );
    const mark = (results: CheckResult[]) => results.map((result) => markExpected(target, result));
    const inspection = { ...run.inspection, checks: mark(run.inspection.checks), targets: run.inspection.targets.map((mx) => ({ ...mx, checks: mark(mx.checks) })) };
    const results = allResults(inspection);
    return { target, checkTarget: null, domain: { ...run, inspection }, results, selected: results.length, durationMs: Math.round(performance.now() - started), error: null, interrupted: signal.aborted };
  } catch (error) {
    return { target, checkTarget: null, results: [], selected: 0, durationMs: Math.round(performance.now() - started), error: (error as Error).message, interrupted: false };
  }
}

/**
 * Command-line connection (TLS, timeouts, SOCKS5, PROXY) and retry flags apply to every
 * target unless the target sets its own; a domain target gets them as flags. --show-secrets comes only from here: a suite file has no key for it.
 */
export function pickConnectionFlags(flags: CheckFlags): Partial<CheckFlags> {
  // The same connection flags a server target takes (suiteConnection reads them from
  // `flags` whole): the TLS mode and the paths to the servers too (docs/ci.md).
  const { tls, tlsOptional, tlsOnConnect, tlsCa, tlsServername, insecure, tlsMin, tlsMax, tlsCiphers, tlsCert, tlsKey, timeout, connectTimeout, greetingTimeout, commandTimeout, dataTimeout, ipv4, ipv6, localAddress, helo, showSecrets, retryDeferred } = flags;
  const { socks5, socks5User, socks5PasswordFile, socks5PasswordTyped, proxyProtocol, proxySource, proxyDest } = flags;
  const picked = { tls, tlsOptional, tlsOnConnect, tlsCa, tlsServername, insecure, tlsMin, tlsMax, tlsCiphers, tlsCert, tlsKey, timeout, connectTimeout, greetingTimeout, commandTimeout, dataTimeout, ipv4, ipv6, localAddress, helo, showSecrets, retryDeferred, socks5, socks5User, socks5PasswordFile, socks5PasswordTyped, proxyProtocol, proxySource, proxyDest };
  return Object.fromEntries(Object.entries(picked).filter(([, value]) => value !== undefined));
}

