import { setMaxListeners } from 'node:events';
import { DEFERRAL_ADVICE, deferralOf } from '../core/deferral.js';
import { InterruptedError, ReplyError, SmtpCheckError } from '../core/errors.js';
import { replySummary } from '../core/reply.js';
import type { CheckDefinition, CheckOutcome, CheckResult, Requirement } from './check.js';
import { CheckNotApplicable, severityFor } from './check.js';
import type { CheckTarget } from './context.js';
import { CheckContext } from './context.js';
import { isFinding } from './verdict-policy.js';

/**
 * Postfix sleeps after repeated errors in one session (smtpd_error_sleep_time), so
 * checks run in separate sessions, several at once; this bounds how many connections
 * one target sees at a time (Postfix's default process limit is 100).
 */
// 16 covers the 14 sessions of a relay-test in one round (each may wait Postfix's
// in_flow_delay of 1 s on an idle server: docs/relay-test.md, "Speed") and stays
// below the common per-client limits: Postfix smtpd_client_connection_count_limit
// 50, Exchange's MaxInboundConnectionPerSource 20.
export const DEFAULT_CONCURRENCY = 16;

export interface RunOptions {
  concurrency?: number;
  onResult?: (result: CheckResult) => void;
  /**
   * Ctrl-C: aborting it destroys every session of the running checks at once; they
   * end `error`, and no further check starts.
   */
  signal?: AbortSignal;
  /**
   * The advice for a check that ended `error`, from the front end that knows its flags
   * (src/outcome/error-hints.ts): checks decide on an error's reason, they do not word advice.
   */
  explainError?: (error: SmtpCheckError) => string | undefined;
}

/** What an interrupted check reports, whatever it had seen: it never reached a verdict. */
const INTERRUPTED_SUMMARY = 'interrupted: no verdict';

export function applicable(check: CheckDefinition, target: CheckTarget): boolean {
  return check.roles.includes(target.role);
}

export function missingRequirement(check: CheckDefinition, target: CheckTarget): string | null {
  const missing = (check.needs ?? []).find((need) => !requirementMet(need, target));
  return missing ? requirementHelp[missing] : null;
}

function requirementMet(need: Requirement, target: CheckTarget): boolean {
  switch (need) {
    case 'credentials':
      return target.credentials !== undefined;
    case 'recipient':
      return target.recipientGiven;
    case 'alias':
      return target.alias !== undefined;
    case 'other-sender':
      return target.otherSender !== undefined;
  }
}

const requirementHelp: Record<Requirement, string> = {
  credentials: 'needs a login: give --auth-user (password from SMTPCHECK_PASSWORD, --auth-password-file or the prompt)',
  recipient: 'sends real mail, so it runs only for a recipient you name: give --local-recipient ADDRESS',
  alias: 'needs an address the login owns besides its own: give --alias ADDRESS',
  'other-sender': 'needs a hosted address the login does not own: give --other-sender ADDRESS',
};

/**
 * Run one check: a thrown error is an `error` verdict, never a pass; so is an
 * interruption through `options.signal`, whatever the check concluded meanwhile
 * (a session we destroyed must not read as a server that hung up).
 */
export async function runCheck(check: CheckDefinition, target: CheckTarget, options: Pick<RunOptions, 'signal' | 'explainError'> = {}): Promise<CheckResult> {
  const started = performance.now();
  const severity = severityFor(check, target.role);
  const base = { id: check.id, title: check.title, severity };
  if (!applicable(check, target)) {
    return { ...base, verdict: 'skip', summary: `applies to ${check.roles.join(', ')} ports, not ${target.role} (set --role if the role is wrong)`, evidence: [], fix: null, durationMs: 0 };
  }
  const missing = missingRequirement(check, target);
  if (missing) return { ...base, verdict: 'skip', summary: missing, evidence: [], fix: null, durationMs: 0 };
  const { signal } = options;
  // Every session, slot wait and running check of a run listens to it: far more than
  // the 10 listeners after which Node warns of a leak.
  if (signal) setMaxListeners(0, signal);
  const context = new CheckContext(target, signal);
  let outcome: CheckOutcome;
  try {
    outcome = await untilInterrupted(check.run(context), signal);
  } catch (error) {
    outcome = outcomeOfError(error, options.explainError);
  } finally {
    await context.closeAll();
  }
  if (signal?.aborted) outcome = { verdict: 'error', summary: INTERRUPTED_SUMMARY };
  const failed = isFinding(outcome.verdict);
  return {
    ...base,
    severity: outcome.severity ?? severity,
    verdict: outcome.verdict,
    summary: outcome.summary,
    evidence: outcome.evidence ?? context.evidence(),
    fix: outcome.fix ?? (failed ? check.fix : null),
    durationMs: Math.round(performance.now() - started),
    ...(outcome.details !== undefined ? { details: outcome.details } : {}),
  };
}

/**
 * A check that throws did not reach a verdict: `error` (or `skip` when it cannot apply),
 * and `inconclusive` when the server deferred it (a 421 greeting after the retries the
 * budget allowed, a 4yz that ends a step): "not now" says nothing about the server's
 * configuration (docs/checks.md#deferrals). Never a pass.
 */
function outcomeOfError(error: unknown, explainError: RunOptions['explainError']): CheckOutcome {
  if (error instanceof CheckNotApplicable) return { verdict: 'skip', summary: error.message };
  const deferral = error instanceof ReplyError ? deferralOf(error.reply) : null;
  if (deferral) {
    const step = (error as ReplyError).step.toUpperCase();
    return { verdict: 'inconclusive', summary: `${step} deferred (${deferral.class}: ${replySummary(deferral.reply)}): ${DEFERRAL_ADVICE[deferral.class]}`, details: { kind: 'deferral', deferral } };
  }
  if (error instanceof SmtpCheckError) {
    const fix = explainError?.(error);
    return { verdict: 'error', summary: `${error.message} (at ${error.step.toUpperCase()})`, ...(fix ? { fix } : {}) };
  }
  return { verdict: 'error', summary: `internal error: ${(error as Error).message}` };
}

/**
 * The check's own promise, or InterruptedError the moment `signal` is aborted: the
 * check may still be catching the errors of its destroyed sessions, and its late
 * conclusion is moot.
 */
function untilInterrupted<T>(running: Promise<T>, signal: AbortSignal | undefined): Promise<T> {
  if (!signal) return running;
  running.catch(() => undefined);
  return new Promise<T>((resolve, reject) => {
    const interrupted = () => reject(new InterruptedError('command'));
    if (signal.aborted) return interrupted();
    signal.addEventListener('abort', interrupted, { once: true });
    running.then(resolve, reject).finally(() => signal.removeEventListener('abort', interrupted));
  });
}

/**
 * Run checks with bounded concurrency; results come back in the order given. After
 * an interruption no further check starts: the results are those of the checks that
 * started (the interrupted ones `error`), still in the order given.
 */
export async function runChecks(checks: readonly CheckDefinition[], target: CheckTarget, options: RunOptions = {}): Promise<CheckResult[]> {
  const results: (CheckResult | undefined)[] = new Array(checks.length);
  let next = 0;
  const worker = async () => {
    while (next < checks.length && !options.signal?.aborted) {
      const index = next++;
      const result = await runCheck(checks[index]!, target, options);
      results[index] = result;
      options.onResult?.(result);
    }
  };
  await Promise.all(Array.from({ length: Math.min(options.concurrency ?? DEFAULT_CONCURRENCY, checks.length) }, worker));
  return results.filter((result): result is CheckResult => result !== undefined);
}
