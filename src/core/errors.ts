import type { Reply } from './reply.js';
import { replySummary } from './reply.js';

/**
 * The step of the SMTP conversation at which something went wrong. Every error
 * carries one, so the CLI can say "timed out waiting for the reply to DATA" without
 * guessing.
 */
export type SmtpStep =
  | 'connect'
  | 'greeting'
  | 'ehlo'
  | 'helo'
  | 'starttls'
  | 'tls'
  | 'auth'
  | 'mail'
  | 'rcpt'
  | 'data'
  | 'bdat'
  | 'command'
  | 'quit';

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
  interrupted: 130,
} as const;
export type ExitCodeValue = (typeof ExitCode)[keyof typeof ExitCode];

export abstract class SmtpCheckError extends Error {
  abstract readonly exitCode: ExitCodeValue;
  /** One sentence telling the user what to do about it. */
  readonly hint: string | undefined;
  readonly step: SmtpStep;

  constructor(step: SmtpStep, message: string, hint?: string) {
    super(message);
    this.name = new.target.name;
    this.step = step;
    this.hint = hint;
  }
}

/** Wrong flags or values given by the user; nothing was sent. */
export class UsageError extends SmtpCheckError {
  readonly exitCode = ExitCode.usage;
  constructor(message: string, hint?: string) {
    super('connect', message, hint);
  }
}

export class ConnectError extends SmtpCheckError {
  readonly exitCode = ExitCode.connect;
  readonly code: string | undefined;
  constructor(message: string, code?: string, hint?: string) {
    super('connect', message, hint);
    this.code = code;
  }
}

/**
 * What went wrong with TLS, for callers that must decide on it (a check skips a port
 * without STARTTLS, a version probe counts a failed handshake as "not accepted").
 */
export type TlsFailureReason =
  /** The server does not list STARTTLS and TLS was required. */
  | 'not-offered'
  /** STARTTLS was answered with something other than 220. */
  | 'refused'
  /** The handshake failed, timed out or was cut off. */
  | 'handshake'
  /** A TLS error once the session was up (an alert, records that do not decrypt). */
  | 'session'
  /** The certificate did not verify and verification was required. */
  | 'certificate'
  /** Plaintext followed the 220 to STARTTLS (RFC 3207 §5). */
  | 'injection';

export class TlsError extends SmtpCheckError {
  readonly exitCode = ExitCode.tls;
  readonly reason: TlsFailureReason;
  readonly reply: Reply | undefined;
  constructor(step: SmtpStep, reason: TlsFailureReason, message: string, hint?: string, reply?: Reply) {
    super(step, message, hint);
    this.reason = reason;
    this.reply = reply;
  }
}

/**
 * Plaintext bytes arrived after the server's "220" to STARTTLS and before the TLS
 * handshake: a man in the middle may be injecting replies (RFC 3207 §5,
 * "Buffering/B_1" in the NO STARTTLS study). They are never parsed.
 */
export class StartTlsInjectionError extends TlsError {
  readonly injectedBytes: number;
  constructor(injectedBytes: number) {
    super(
      'starttls',
      'injection',
      `response injection: ${injectedBytes} plaintext byte(s) followed the STARTTLS 220 before the TLS handshake`,
      'something between you and the server injects SMTP replies; do not trust this path (or report the server bug: it must send nothing after 220)',
    );
    this.injectedBytes = injectedBytes;
  }
}

export class AuthError extends SmtpCheckError {
  readonly exitCode = ExitCode.auth;
  readonly reply: Reply | undefined;
  constructor(message: string, hint?: string, reply?: Reply) {
    super('auth', message, hint);
    this.reply = reply;
  }
}

/** The server answered, but said no (4xx/5xx) where the step needed a yes. */
export class ReplyError extends SmtpCheckError {
  readonly exitCode = ExitCode.rejected;
  readonly reply: Reply;
  /** @param verb the command as the user knows it, when the step's name is not (LHLO for step ehlo) */
  constructor(step: SmtpStep, reply: Reply, hint?: string, verb: string = step.toUpperCase()) {
    super(step, `${verb} refused: ${replySummary(reply)}`, hint);
    this.reply = reply;
  }
}

/** The server broke the protocol: malformed or oversized replies, unexpected close. */
/**
 * How a connection ended that nobody ended on purpose, for callers that report it at
 * the step that found it dead: `idle` when no reply was awaited at the time.
 */
export interface ConnectionLoss {
  how: 'closed-by-server' | 'reset';
  idle: boolean;
}

export class ProtocolError extends SmtpCheckError {
  readonly exitCode = ExitCode.protocol;
  /** Set when the server closed or reset the connection. */
  readonly loss: ConnectionLoss | undefined;
  constructor(step: SmtpStep, message: string, hint?: string, loss?: ConnectionLoss) {
    super(step, message, hint);
    this.loss = loss;
  }
}

/** The user stopped the wait (Ctrl-C): where it stopped says nothing about the server. */
export class InterruptedError extends SmtpCheckError {
  readonly exitCode = ExitCode.interrupted;
  constructor(step: SmtpStep, message = 'interrupted') {
    super(step, message);
  }
}

export class TimeoutError extends SmtpCheckError {
  readonly exitCode = ExitCode.protocol;
  readonly timeoutMs: number;
  constructor(step: SmtpStep, timeoutMs: number, what: string, hint?: string) {
    super(
      step,
      `timed out after ${formatSeconds(timeoutMs)} waiting for ${what}`,
      hint ?? 'the server is slow or not speaking SMTP on this port; raise the limit with --timeout SECONDS or check the port',
    );
    this.timeoutMs = timeoutMs;
  }
}

function formatSeconds(ms: number): string {
  return ms % 1000 === 0 ? `${ms / 1000} s` : `${(ms / 1000).toFixed(1)} s`;
}
