import type { CheckResult, Verdict } from './check.js';
import { VERDICTS } from './verdict-policy.js';

/**
 * A baseline: the verdicts of one run, per target and check id, kept next to the
 * deployment so that CI fails when the server got worse rather than whenever anything
 * is imperfect (docs/ci.md#baselines). Pure: reading and writing the file is the CLI's.
 */
export const BASELINE_FORMAT = 'smtpcheck-baseline';
export const BASELINE_VERSION = 1;

export interface BaselineEntry {
  verdict: Verdict;
  summary: string;
}

export interface Baseline {
  format: typeof BASELINE_FORMAT;
  version: typeof BASELINE_VERSION;
  /** The smtpcheck version that wrote it. */
  smtpcheck: string;
  createdAt: string;
  /** Target name → check id → verdict. */
  targets: Record<string, Record<string, BaselineEntry>>;
}

export interface TargetResults {
  name: string;
  results: readonly CheckResult[];
}

export function baselineOf(targets: readonly TargetResults[], smtpcheckVersion: string, now = new Date()): Baseline {
  const byTarget: Baseline['targets'] = {};
  for (const target of targets) {
    const entries: Record<string, BaselineEntry> = {};
    for (const result of target.results) entries[result.id] = { verdict: result.verdict, summary: result.summary };
    byTarget[target.name] = entries;
  }
  return { format: BASELINE_FORMAT, version: BASELINE_VERSION, smtpcheck: smtpcheckVersion, createdAt: now.toISOString(), targets: byTarget };
}

/** Why a file is not a baseline this smtpcheck can read; the CLI makes it a one-line usage error. */
export class BaselineFormatError extends Error {}

/** Parse and validate a baseline file's text; unknown check ids are kept (an older or newer smtpcheck wrote them). */
export function parseBaseline(text: string): Baseline {
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch {
    throw new BaselineFormatError('is not JSON');
  }
  if (!isRecord(data) || data.format !== BASELINE_FORMAT) throw new BaselineFormatError(`is not an smtpcheck baseline (no "format": "${BASELINE_FORMAT}")`);
  if (data.version !== BASELINE_VERSION) throw new BaselineFormatError(`has baseline format version ${JSON.stringify(data.version)}; this smtpcheck reads version ${BASELINE_VERSION}`);
  if (!isRecord(data.targets)) throw new BaselineFormatError('has no "targets" object');
  const targets: Baseline['targets'] = {};
  for (const [name, checks] of Object.entries(data.targets)) {
    if (!isRecord(checks)) throw new BaselineFormatError(`target ${JSON.stringify(name)} is not an object of check ids`);
    targets[name] = {};
    for (const [id, entry] of Object.entries(checks)) {
      if (!isRecord(entry) || typeof entry.verdict !== 'string' || !(VERDICTS as readonly string[]).includes(entry.verdict)) {
        throw new BaselineFormatError(`target ${JSON.stringify(name)}, check ${JSON.stringify(id)}: no valid "verdict" (${VERDICTS.join(', ')})`);
      }
      targets[name][id] = { verdict: entry.verdict as Verdict, summary: typeof entry.summary === 'string' ? entry.summary : '' };
    }
  }
  return {
    format: BASELINE_FORMAT,
    version: BASELINE_VERSION,
    smtpcheck: typeof data.smtpcheck === 'string' ? data.smtpcheck : 'unknown',
    createdAt: typeof data.createdAt === 'string' ? data.createdAt : '',
    targets,
  };
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/**
 * How one check moved against the baseline:
 * - worse: it fails where it did not, or a passing check now warns, errors or is
 *   unsettled, or it stopped running (skipped or gone) after giving a verdict;
 * - better: it passes where it did not, or a failure became a warning;
 * - changed: any other move (warn to unsettled, fail to unsettled): listed, not counted;
 * - new: not in the baseline, and not failing (a new failing check is worse);
 * - same: the same verdict (pass and info count as one).
 */
export type Movement = 'worse' | 'better' | 'changed' | 'same' | 'new';

export interface BaselineChange {
  target: string;
  id: string;
  movement: Movement;
  /** null: the check is not in the baseline (new), or not in this run (gone). */
  before: Verdict | null;
  after: Verdict | null;
  summary: string;
}

export interface BaselineComparison {
  changes: BaselineChange[];
  worse: BaselineChange[];
  better: BaselineChange[];
  /** Check ids in the baseline that this smtpcheck does not know (written by another version): reported, never counted. */
  unknownIds: string[];
  /** Targets in the baseline that this run did not test (another shard, or removed from the suite): reported, not counted. */
  targetsNotRun: string[];
  /** Targets this run tested that the baseline does not have: every check of theirs is new. */
  newTargets: string[];
}

const GOOD: readonly Verdict[] = ['pass', 'info'];
const BAD_FOR_GOOD: readonly Verdict[] = ['warn', 'fail', 'inconclusive', 'error'];

/** The movement of one check from `before` to `after` (null: absent; skip counts as not run). */
export function movementOf(before: Verdict | null, after: Verdict | null): Movement {
  const ran = (verdict: Verdict | null): verdict is Verdict => verdict !== null && verdict !== 'skip';
  if (!ran(before)) return ran(after) && after === 'fail' ? 'worse' : ran(after) ? 'new' : 'same';
  if (!ran(after)) return 'worse';
  if (before === after) return 'same';
  if (after === 'fail') return 'worse';
  if (GOOD.includes(before) && BAD_FOR_GOOD.includes(after)) return 'worse';
  if (GOOD.includes(before) && GOOD.includes(after)) return 'same';
  if (GOOD.includes(after) || (before === 'fail' && after === 'warn')) return 'better';
  return 'changed';
}

export function compareWithBaseline(baseline: Baseline, run: readonly TargetResults[], isKnownId: (id: string) => boolean): BaselineComparison {
  const changes: BaselineChange[] = [];
  const unknownIds = new Set<string>();
  const runNames = new Set(run.map((target) => target.name));
  for (const target of run) {
    const saved = baseline.targets[target.name] ?? {};
    const seen = new Set<string>();
    for (const result of target.results) {
      seen.add(result.id);
      const before = saved[result.id]?.verdict ?? null;
      changes.push({ target: target.name, id: result.id, movement: movementOf(before, result.verdict), before, after: result.verdict, summary: result.summary });
    }
    for (const [id, entry] of Object.entries(saved)) {
      if (seen.has(id)) continue;
      if (!isKnownId(id)) {
        unknownIds.add(id);
        continue;
      }
      changes.push({ target: target.name, id, movement: movementOf(entry.verdict, null), before: entry.verdict, after: null, summary: `not run this time (was ${entry.verdict}: ${entry.summary})` });
    }
  }
  return {
    changes,
    worse: changes.filter((change) => change.movement === 'worse'),
    better: changes.filter((change) => change.movement === 'better'),
    unknownIds: [...unknownIds].sort(),
    targetsNotRun: Object.keys(baseline.targets).filter((name) => !runNames.has(name)),
    newTargets: run.map((target) => target.name).filter((name) => !(name in baseline.targets)),
  };
}
