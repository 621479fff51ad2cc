import type { ErrorReason } from '../core/errors.js';
import { SmtpCheckError } from '../core/errors.js';
import { hintFor } from './error-hints.js';
import type { ExitCodeValue } from './exit-codes.js';
import { ExitCode, exitCodeFor } from './exit-codes.js';

/** A failure as every front end reports it: the typed reason, core's factual message, the advice and the exit code (docs/exit-codes.md). */
export interface DescribedError {
  /** The typed reason (docs/json.md); `internal` for a bug in smtpcheck. */
  reason: ErrorReason | 'internal';
  message: string;
  hint: string | undefined;
  step: string | undefined;
  exitCode: ExitCodeValue;
}

export function describeError(error: unknown): DescribedError {
  if (error instanceof SmtpCheckError) return { reason: error.reason, message: error.message, hint: hintFor(error), step: error.step, exitCode: exitCodeFor(error.reason) };
  const message = error instanceof Error ? error.message : String(error);
  return { reason: 'internal', message: `internal error: ${message}`, hint: 'this is a bug in smtpcheck; please report it with the command you ran (SMTPCHECK_DEBUG=1 shows the stack)', step: undefined, exitCode: ExitCode.internal };
}
