import type { Reply } from './reply.js';

/**
 * What a reply says about the command it answers, for checks that must tell "no"
 * from "not now" (docs/checks.md#deferrals):
 * - accepted: 2yz, a positive completion (RFC 5321 §4.2.1), whatever the code;
 * - refused: 5yz, a permanent negative completion, or a 4yz that refuses relaying
 *   (`relay-denied` below: Postfix's default `454 4.7.1 … Relay access denied`);
 * - deferred: any other 4yz, "try again later" (§4.2.1): never evidence of a refusal;
 * - unsettled: anything else (1yz, 3yz where no 354/334 was due, codes above 599).
 */
export type ReplyDisposition = 'accepted' | 'refused' | 'deferred' | 'unsettled';

/**
 * Why a server said "not now". The class is a label for the report and picks the
 * retry a real client would make; it never turns a deferral into a refusal, except
 * `relay-denied`, a transient code the server uses for a policy it will not change
 * on a retry.
 */
export type DeferralClass =
  /** Greylisting: the same sender/recipient pair is accepted after a delay (450/451, 4.2.0 or 4.7.1, "greylisted"). */
  | 'greylisting'
  /** postscreen after its deep protocol tests: `450 4.3.2` to every RCPT; the next connection reaches smtpd. */
  | 'screening'
  /** Connection count or rate limit (anvil: `421 4.7.0 … too many connections`). */
  | 'rate-limit'
  /** The session collected too many errors and is cut off (`421 4.7.0 … too many errors`). */
  | 'error-limit'
  /** A restriction on the tester's own address: the control recipient is deferred too. */
  | 'client-rejected'
  /** Recipient address verification still probing (`450 4.1.1 … Address verification in progress`). */
  | 'verification-pending'
  /** A transient code for a relay refusal (Postfix defer_unauth_destination). Counts as refused. */
  | 'relay-denied'
  /** Some other policy deferral (4.7.x). */
  | 'policy'
  /** A 421 with no recognised cause: the server is closing the session (RFC 5321 §3.8). */
  | 'closing'
  /** Any other 4yz. */
  | 'temporary';

export interface Deferral {
  class: DeferralClass;
  reply: Reply;
}

/** Facts from the session that help name a deferral. */
export interface DeferralHints {
  /** The control recipient (a hosted address) was deferred in the same session. */
  controlDeferred?: boolean;
}

export function replyDisposition(reply: Reply): ReplyDisposition {
  if (reply.code >= 200 && reply.code < 300) return 'accepted';
  if (reply.code >= 500 && reply.code < 600) return 'refused';
  if (reply.code >= 400 && reply.code < 500) return classifyDeferral(reply) === 'relay-denied' ? 'refused' : 'deferred';
  return 'unsettled';
}

// Server wording is used only to name the class (and so the retry); the decision
// that a 4yz is not a refusal is made on the code alone. The one exception is a
// relay refusal, which Postfix sends as 454 by default (docs/checks.md#deferrals).
const GREYLIST = /gr[ae]y-?list/i;
const VERIFICATION = /verif(y|ication|ied)|unverified/i;
const RELAY_DENIED = /\brelay(ing)?\b[^.]*\b(denied|not (permitted|allowed)|prohibited|refused)/i;
const TOO_MANY_ERRORS = /too many (errors|bad commands|invalid commands|unknown commands|syntax errors|protocol errors)|error limit/i;
const RATE = /too many (connections|sessions|concurrent|simultaneous)|connection rate|rate limit|too (fast|much mail)|slow down|too many (recipients|messages)/i;
const SCREENING = /service (is )?(currently )?unavailable/i;
const CLIENT = /client host rejected/i;

/** The class of a 4yz reply (classifyDeferral of a 2yz or 5yz is meaningless; callers ask only for 4yz). */
export function classifyDeferral(reply: Reply, hints: DeferralHints = {}): DeferralClass {
  const text = reply.lines.join(' ');
  const enhanced = reply.enhanced;
  if (GREYLIST.test(text)) return 'greylisting';
  // "Relaying temporarily denied" (Sendmail, PTR lookup failed) may turn into a yes.
  if (RELAY_DENIED.test(text) && !/temporar/i.test(text)) return 'relay-denied';
  if (enhanced?.subject === 1 && VERIFICATION.test(text)) return 'verification-pending';
  if (TOO_MANY_ERRORS.test(text)) return 'error-limit';
  if (RATE.test(text)) return 'rate-limit';
  // RFC 3463 X.3.2: "system not accepting network messages", postscreen's 450 4.3.2.
  if ((enhanced?.subject === 3 && enhanced.detail === 2) || SCREENING.test(text)) return 'screening';
  if (hints.controlDeferred || CLIENT.test(text)) return 'client-rejected';
  if (reply.code === 421) return 'closing';
  if (enhanced?.subject === 7) return 'policy';
  return 'temporary';
}

export function deferralOf(reply: Reply, hints: DeferralHints = {}): Deferral | null {
  return replyDisposition(reply) === 'deferred' ? { class: classifyDeferral(reply, hints), reply } : null;
}

/** What a real client would do next about each class, for the report. */
export const DEFERRAL_ADVICE: Record<DeferralClass, string> = {
  greylisting: 'greylisting: the same pair is accepted after a delay; rerun with --retry-deferred SECONDS (the greylisting delay, often 60-300)',
  screening: 'a screening front (postscreen) deferred the session; a new connection usually reaches the real server: rerun, or allowlist the tester',
  'rate-limit': 'a connection or rate limit: lower --concurrency or wait, then rerun',
  'error-limit': 'the server cut the session after too many errors: lower --concurrency or raise its error limits for the tester',
  'client-rejected': "the server defers the tester's own address (the control recipient too): test from an address it accepts",
  'verification-pending': 'recipient address verification is still probing: rerun with --retry-deferred SECONDS',
  'relay-denied': 'a relay refusal with a transient code (Postfix defer_unauth_destination)',
  policy: 'a policy deferral: see the server log, or rerun with --retry-deferred SECONDS',
  closing: 'the server closed the session: see its log, then rerun',
  temporary: 'a temporary failure: rerun with --retry-deferred SECONDS, or see the server log',
};
