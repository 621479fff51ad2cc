import type { CheckContext } from './context.js';
import type { CheckDetails, Evidence } from './evidence.js';

/**
 * The check model: every check is a small declarative module with an id (a public
 * contract: docs/json.md#stability), the port roles it applies to, what it needs, and
 * one run function over a CheckContext that returns an outcome. Verdict, evidence
 * and fix are data; renderers decide how they look.
 */
export type Verdict = 'pass' | 'fail' | 'warn' | 'info' | 'skip' | 'inconclusive' | 'error';

/** crit > high > med > low > info; func is functional, not security (docs/checks.md#verdicts-and-severities). */
export type Severity = 'crit' | 'high' | 'med' | 'low' | 'info' | 'func';

/** The port role a check is graded for (docs/checks.md#roles). */
export type Role = 'mta' | 'submission' | 'submissions';
export const ALL_ROLES: readonly Role[] = ['mta', 'submission', 'submissions'];

/** What a check needs from the user before it can say anything. */
export type Requirement =
  | 'credentials' // a login (user + password) for authenticated checks
  | 'recipient' // a recipient the user named explicitly (checks that deliver real mail)
  | 'alias' // an address the login owns besides its own
  | 'other-sender'; // an address the login does not own

export interface CheckOutcome {
  verdict: Verdict;
  /** One line: what was found. */
  summary: string;
  /** Overrides the check's severity for this result (e.g. by role). */
  severity?: Severity;
  /** What proves the verdict; default: the transcript of every session the check opened. */
  evidence?: Evidence;
  /** How to fix a failure; default: the check's fix text. */
  fix?: string;
  /** Structured findings for JSON (e.g. the relay table). */
  details?: CheckDetails;
}

export interface CheckDefinition {
  id: string;
  title: string;
  roles: readonly Role[];
  /** Severity of a failure, possibly by role (docs/checks.md#verdicts-and-severities). */
  severity: Severity | ((role: Role) => Severity);
  needs?: readonly Requirement[];
  /** Postfix settings (and other MTAs where known) that fix a failure. */
  fix: string;
  /** Part of the default run? Opt-in checks (e.g. those sending real mail) say why not. */
  optIn?: string;
  run(context: CheckContext): Promise<CheckOutcome>;
}

export interface CheckResult {
  id: string;
  title: string;
  verdict: Verdict;
  severity: Severity;
  summary: string;
  evidence: Evidence;
  fix: string | null;
  durationMs: number;
  details?: CheckDetails;
  /** Set when a suite config declared this verdict acceptable for this target: it does not fail the run. */
  expected?: boolean;
}

export function severityFor(check: CheckDefinition, role: Role): Severity {
  return typeof check.severity === 'function' ? check.severity(role) : check.severity;
}

/**
 * Thrown by a check (or a probe it calls) when the check cannot apply to this
 * server, e.g. a TLS check on a port without STARTTLS. The runner makes it a skip.
 */
export class CheckNotApplicable extends Error {}

export const pass = (summary: string, extra: Partial<CheckOutcome> = {}): CheckOutcome => ({ verdict: 'pass', summary, ...extra });
export const fail = (summary: string, extra: Partial<CheckOutcome> = {}): CheckOutcome => ({ verdict: 'fail', summary, ...extra });
export const warn = (summary: string, extra: Partial<CheckOutcome> = {}): CheckOutcome => ({ verdict: 'warn', summary, ...extra });
export const info = (summary: string, extra: Partial<CheckOutcome> = {}): CheckOutcome => ({ verdict: 'info', summary, ...extra });
export const inconclusive = (summary: string, extra: Partial<CheckOutcome> = {}): CheckOutcome => ({ verdict: 'inconclusive', summary, ...extra });
export const skip = (summary: string): CheckOutcome => ({ verdict: 'skip', summary });
