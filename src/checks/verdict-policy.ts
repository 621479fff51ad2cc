import type { CheckResult, Verdict } from './check.js';

/**
 * What each verdict means for a run, decided here once (docs/exit-codes.md,
 * docs/ci.md): the exit code, JUnit's failures and errors, GitHub's annotation level
 * and the report's severity column all read these, never a list of their own.
 */

/** Every verdict, in the order a report lists them. */
export const VERDICTS: readonly Verdict[] = ['pass', 'fail', 'warn', 'info', 'skip', 'inconclusive', 'error'];

/** A finding about the server: it gets a fix hint and its severity is shown. */
export function isFinding(verdict: Verdict): boolean {
  return verdict === 'fail' || verdict === 'warn';
}

/** Fails a CI run: `fail`, and `warn` under --strict. */
export function failsRun(verdict: Verdict, strict: boolean): boolean {
  return verdict === 'fail' || (strict && verdict === 'warn');
}

/** No verdict about the server was reached (a timeout, a deferral, a broken control): never a pass. */
export function isUnsettled(verdict: Verdict): boolean {
  return verdict === 'error' || verdict === 'inconclusive';
}

/** A result that counts for the run: one the suite config declared acceptable does not. */
export function counts(result: CheckResult): boolean {
  return !result.expected;
}

export type RunOutcome = 'failed' | 'unsettled' | 'ok';

/** The outcome of a set of results: failures beat unsettled results. */
export function runOutcome(results: readonly CheckResult[], strict: boolean): RunOutcome {
  const counted = results.filter(counts);
  if (counted.some((result) => failsRun(result.verdict, strict))) return 'failed';
  if (counted.some((result) => isUnsettled(result.verdict))) return 'unsettled';
  return 'ok';
}

/** The worst of several outcomes (one per suite target). */
export function worstOutcome(outcomes: readonly RunOutcome[]): RunOutcome {
  return outcomes.includes('failed') ? 'failed' : outcomes.includes('unsettled') ? 'unsettled' : 'ok';
}

/** How loudly a CI log reports a verdict: failures and errors as errors, warnings and unsettled probes as warnings. */
export function alarmLevel(verdict: Verdict): 'error' | 'warning' | null {
  if (verdict === 'fail' || verdict === 'error') return 'error';
  if (verdict === 'warn' || verdict === 'inconclusive') return 'warning';
  return null;
}
