import type { CheckResult } from '../checks/check.js';
import type { RunOutcome } from '../checks/verdict-policy.js';
import { runOutcome } from '../checks/verdict-policy.js';
import type { ErrorReason } from '../core/errors.js';

/** Exit codes, documented in docs/exit-codes.md. */
export const ExitCode = {
  ok: 0,
  usage: 1,
  connect: 2,
  tls: 3,
  auth: 4,
  rejected: 5,
  protocol: 6,
  internal: 7,
  checksFailed: 10,
  checksInconclusive: 11,
  badConfig: 12,
  worseThanBaseline: 13,
  interrupted: 130,
} as const;
export type ExitCodeValue = (typeof ExitCode)[keyof typeof ExitCode];

/** The exit code a failure of this reason ends a command with (docs/exit-codes.md). */
export function exitCodeFor(reason: ErrorReason): ExitCodeValue {
  switch (reason) {
    case 'usage':
      return ExitCode.usage;
    case 'bad-config':
      return ExitCode.badConfig;
    case 'connect-refused':
    case 'connect-timeout':
    case 'name-not-resolved':
    case 'unreachable':
    case 'local-address':
    case 'connect-reset':
    case 'connect-failed':
    case 'proxy-refused':
    case 'socks-refused':
    case 'socks-auth':
    case 'socks-failed':
    case 'address-not-allowed':
      return ExitCode.connect;
    case 'starttls-not-offered':
    case 'starttls-refused':
    case 'tls-handshake':
    case 'tls-session':
    case 'tls-certificate':
    case 'injection':
      return ExitCode.tls;
    case 'auth-not-offered':
    case 'auth-unknown-mechanism':
    case 'auth-no-common-mechanism':
    case 'auth-plaintext-refused':
    case 'auth-rejected':
    case 'auth-server-proof':
    case 'auth-exchange':
      return ExitCode.auth;
    case 'refused':
    case 'xclient-not-offered':
    case 'xclient-attribute-not-offered':
    case 'xclient-refused':
      return ExitCode.rejected;
    case 'timeout':
    case 'closed-by-server':
    case 'reset':
    case 'closed-by-client':
    case 'malformed-reply':
    case 'oversized-reply':
    case 'unsolicited-reply':
      return ExitCode.protocol;
    case 'interrupted':
      return ExitCode.interrupted;
    case 'dns-timeout':
    case 'dns-refused':
    case 'dns-servfail':
    case 'dns-malformed':
    case 'dns-truncated':
    case 'dns-cname-loop':
    case 'dns-oversized':
    case 'dns-unreachable':
      return ExitCode.connect;
  }
}

/** The exit code of a check run (docs/exit-codes.md): 10 when a check failed, 11 when one is unsettled. */
export function exitCodeForOutcome(outcome: RunOutcome): ExitCodeValue {
  return outcome === 'failed' ? ExitCode.checksFailed : outcome === 'unsettled' ? ExitCode.checksInconclusive : ExitCode.ok;
}

/** CI exit codes for a set of results: failures beat unsettled results; warnings fail only with --strict. */
export function exitCodeForResults(results: readonly CheckResult[], strict: boolean): ExitCodeValue {
  return exitCodeForOutcome(runOutcome(results, strict));
}
