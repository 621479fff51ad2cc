import type { CheckDefinition } from '../checks/check.js';
import type { CheckTarget } from '../checks/context.js';
import { CHECKS, findCheck } from '../checks/registry.js';
import { applicable } from '../checks/runner.js';
import { UsageError } from '../core/errors.js';
import type { TargetFlags } from '../options/check-target.js';
import type { BaselineFlags } from './baseline-gate.js';
import type { OutputFlags } from './output.js';
import type { ReportFormatFlags } from './report-formats.js';
import type { ShardFlags } from './shard-flags.js';

// The flags of `check` and of its suites (`check --config`, src/cli/suite.ts), and the
// checks they choose: shared by both without either importing the other.

/** --shard and --shard-total split suites only (docs/ci.md#shards). */
export interface CheckFlags extends TargetFlags, OutputFlags, BaselineFlags, ShardFlags, ReportFormatFlags {
  checks?: string;
  skip?: string;
  strict?: boolean;
  verbose?: boolean;
  config?: string;
  list?: boolean;
}

/** The checks `--checks` and `--skip` choose for a target (default: every check that applies to its role). */
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
