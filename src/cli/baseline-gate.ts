import type { Baseline, BaselineComparison, TargetResults } from '../checks/baseline.js';
import { baselineOf, compareWithBaseline } from '../checks/baseline.js';
import { findCheck } from '../checks/registry.js';
import { baselineResults, renderBaselineDiff } from '../render/baseline-diff.js';
import type { ReportedSuite } from '../render/report-formats.js';
import { readBaseline, writeBaseline } from './baseline-file.js';
import type { ExitCodeValue } from '../outcome/exit-codes.js';
import { ExitCode } from '../outcome/exit-codes.js';
import type { CommandOutput } from './output.js';
import { SMTPCHECK_VERSION } from './version.js';

export interface BaselineFlags {
  baseline?: string;
  saveBaseline?: string;
}

/**
 * --baseline and --save-baseline for `check`, suites and `domain` (docs/ci.md#baselines):
 * the file is read before anything is sent, compared after the run, and the run's
 * exit code then says only whether something got worse.
 */
export class BaselineGate {
  private comparison: BaselineComparison | null = null;

  private constructor(
    private readonly flags: BaselineFlags,
    private readonly baseline: Baseline | null,
    private readonly isKnownId: (id: string) => boolean,
  ) {}

  /**
   * Reads --baseline at once: a bad file is a usage error before any connection.
   * `isKnownId` says which check ids this command can run (`domain` adds its own).
   */
  static from(flags: BaselineFlags, isKnownId: (id: string) => boolean = (id) => findCheck(id) !== undefined): BaselineGate {
    return new BaselineGate(flags, flags.baseline ? readBaseline(flags.baseline) : null, isKnownId);
  }

  /** Compare (with --baseline) and print the difference first; save (with --save-baseline) unless the run was cut short. */
  apply(output: CommandOutput, run: readonly TargetResults[], interrupted: boolean): void {
    if (this.baseline) {
      this.comparison = compareWithBaseline(this.baseline, run, this.isKnownId);
      output.print(renderBaselineDiff(this.comparison, this.flags.baseline!, output.palette).join('\n'));
    }
    if (!this.flags.saveBaseline) return;
    if (interrupted) output.transcript.warn(`the run was interrupted: --save-baseline ${this.flags.saveBaseline} not written (a baseline of part of the checks would hide the rest)`);
    else writeBaseline(this.flags.saveBaseline, baselineOf(run, SMTPCHECK_VERSION));
  }

  /**
   * With --baseline the exit code says whether anything got worse (13) and nothing
   * else; otherwise the run's own. `target` narrows it to one suite target (--quiet's lines).
   */
  exitCode(runExitCode: ExitCodeValue, target?: string): ExitCodeValue {
    if (!this.comparison || runExitCode === ExitCode.interrupted) return runExitCode;
    const worse = this.comparison.worse.filter((change) => target === undefined || change.target === target);
    return worse.length > 0 ? ExitCode.worseThanBaseline : ExitCode.ok;
  }

  /** The comparison as a suite of results for JUnit and annotations (writeReportFormats), when there is one. */
  suites(): ReportedSuite[] {
    return this.comparison ? [{ name: `baseline ${this.flags.baseline}`, results: baselineResults(this.comparison), durationMs: 0 }] : [];
  }

  /** The comparison for --json (`result.baseline`, docs/json.md). */
  json(): Record<string, unknown> {
    if (!this.comparison) return {};
    const { changes, worse, better, unknownIds, targetsNotRun, newTargets } = this.comparison;
    return {
      baseline: {
        file: this.flags.baseline,
        smtpcheck: this.baseline!.smtpcheck,
        createdAt: this.baseline!.createdAt,
        worse,
        better,
        changed: changes.filter((change) => change.movement === 'changed'),
        unchanged: changes.filter((change) => change.movement === 'same').length,
        new: changes.filter((change) => change.movement === 'new').length,
        unknownIds,
        targetsNotRun,
        newTargets,
      },
    };
  }
}
