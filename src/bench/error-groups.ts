import type { SmtpStep } from '../core/errors.js';
import type { ExitCodeValue } from '../outcome/exit-codes.js';
import { AuthError, ConnectError, InterruptedError, ProtocolError, ReplyError, SmtpCheckError, TimeoutError, TlsError } from '../core/errors.js';
import { ExitCode } from '../outcome/exit-codes.js';
import type { Reply } from '../core/reply.js';
import { replySummary } from '../core/reply.js';

/**
 * What went wrong with one message, reduced to what a load report groups by: the
 * step, the reply code (or, without a reply, the kind of failure), and whether the
 * server refused (a verdict on the message) or the attempt failed (no verdict).
 */
export interface FailureRecord {
  step: SmtpStep;
  /** The server's reply code; null when there was no reply (connection, TLS, timeout). */
  code: number | null;
  /** `refused`: the server said 4xx/5xx. Anything else: the attempt itself failed. */
  kind: 'refused' | 'connect' | 'tls' | 'auth' | 'timeout' | 'protocol';
  /** One example, as the server or the error put it. */
  text: string;
}

export function refusal(step: SmtpStep, reply: Reply): FailureRecord {
  return { step, code: reply.code, kind: 'refused', text: replySummary(reply) };
}

/**
 * A thrown error as a failure record; null for errors that are not about the
 * server: usage errors and bugs, which end the whole run instead of being counted,
 * and an interruption (Ctrl-C), after which the runner counts nothing.
 */
export function failureOf(error: unknown): FailureRecord | null {
  if (!(error instanceof SmtpCheckError) || error instanceof InterruptedError) return null;
  if (error instanceof ReplyError) return refusal(error.step, error.reply);
  if (error instanceof AuthError) return { step: 'auth', code: error.reply?.code ?? null, kind: 'auth', text: error.message };
  if (error instanceof TlsError) return { step: error.step, code: error.reply?.code ?? null, kind: 'tls', text: error.message };
  if (error instanceof ConnectError) return { step: 'connect', code: null, kind: 'connect', text: error.code ?? error.message };
  if (error instanceof TimeoutError) return { step: error.step, code: null, kind: 'timeout', text: error.message };
  if (error instanceof ProtocolError) return { step: error.step, code: null, kind: 'protocol', text: error.message };
  return null;
}

/** The exit code (docs/exit-codes.md) a failure of this kind stands for. */
export function exitCodeOfKind(kind: FailureRecord['kind']): ExitCodeValue {
  switch (kind) {
    case 'refused':
      return ExitCode.rejected;
    case 'connect':
      return ExitCode.connect;
    case 'tls':
      return ExitCode.tls;
    case 'auth':
      return ExitCode.auth;
    case 'timeout':
    case 'protocol':
      return ExitCode.protocol;
  }
}

export interface ErrorGroup {
  step: SmtpStep;
  code: number | null;
  kind: FailureRecord['kind'];
  count: number;
  /** The first occurrence's text; later ones of the same group usually differ only in the address. */
  example: string;
}

// A server that answers every message with a different text still has few codes and
// steps; a hostile one inventing error kinds cannot make the report grow past this.
const MAX_GROUPS = 100;

/** Failures counted by step and reply code (or kind, without a reply), in memory that does not grow with the run. */
export class ErrorGroups {
  private readonly groups = new Map<string, ErrorGroup>();
  private dropped = 0;

  add(failure: FailureRecord): void {
    this.addGroup({ step: failure.step, code: failure.code, kind: failure.kind, count: 1, example: failure.text });
  }

  /** A group counted elsewhere (another run's report): its count joins the group of the same step and code. */
  addGroup(counted: ErrorGroup): void {
    const key = `${counted.step} ${counted.code ?? counted.kind}`;
    const group = this.groups.get(key);
    if (group) group.count += counted.count;
    else if (this.groups.size < MAX_GROUPS) this.groups.set(key, { ...counted });
    else this.dropped += counted.count;
  }

  /** Failures another run counted past its own group limit. */
  addUngrouped(count: number): void {
    this.dropped += count;
  }

  /** Most frequent first; ties in step order of the conversation, then by code. */
  list(): ErrorGroup[] {
    return [...this.groups.values()].map((group) => ({ ...group })).sort((a, b) => b.count - a.count || stepOrder(a.step) - stepOrder(b.step) || (a.code ?? 0) - (b.code ?? 0));
  }

  /** Failures beyond MAX_GROUPS distinct groups, counted but not itemised. */
  get ungrouped(): number {
    return this.dropped;
  }
}

const STEP_ORDER: readonly SmtpStep[] = ['connect', 'greeting', 'ehlo', 'helo', 'starttls', 'tls', 'auth', 'mail', 'rcpt', 'data', 'bdat', 'command', 'quit'];

function stepOrder(step: SmtpStep): number {
  return STEP_ORDER.indexOf(step);
}
