import type { ReplyDefects } from './reply-defects.js';

/**
 * A complete SMTP reply (RFC 5321 §4.2): one three-digit code shared by every line,
 * the enhanced status code when the server sends one (RFC 2034, RFC 3463), and the
 * text of each line with the code and separator removed.
 */
export interface EnhancedStatus {
  /** 2 (success), 4 (persistent transient failure) or 5 (permanent failure). */
  class: number;
  subject: number;
  detail: number;
  /** The code as sent, e.g. "5.7.1". */
  text: string;
}

export interface Reply {
  code: number;
  enhanced: EnhancedStatus | null;
  /** Text of each line after "NNN-" / "NNN ", enhanced code included. */
  lines: string[];
  /** The reply's lines exactly as they came off the wire, without line endings. */
  raw: string[];
  /** Present only when a line held bytes no reply text may carry (NUL, controls, invalid UTF-8). */
  defects?: ReplyDefects;
}

export type ReplyClass = 'positive' | 'intermediate' | 'transient' | 'permanent';

export function classifyReply(code: number): ReplyClass {
  if (code >= 200 && code < 300) return 'positive';
  if (code >= 300 && code < 400) return 'intermediate';
  if (code >= 400 && code < 500) return 'transient';
  return 'permanent';
}

export const isPositive = (reply: Reply): boolean => reply.code >= 200 && reply.code < 300;
export const isIntermediate = (reply: Reply): boolean => reply.code >= 300 && reply.code < 400;

// RFC 3463 §2: class "." subject "." detail, subject 1-3 digits, detail 1-3 digits.
const ENHANCED_STATUS = /^([245])\.(\d{1,3})\.(\d{1,3})(?=\s|$)/;

export function parseEnhancedStatus(text: string): EnhancedStatus | null {
  const match = ENHANCED_STATUS.exec(text);
  if (!match) return null;
  return {
    class: Number(match[1]),
    subject: Number(match[2]),
    detail: Number(match[3]),
    text: `${match[1]}.${match[2]}.${match[3]}`,
  };
}

/**
 * RFC 5321 §4.2.1: any 2yz is a positive completion, and real MTA clients deliver on
 * it, so a recipient answered `220` is accepted as surely as one answered 250 or 251
 * (§4.1.1.3). The odd ones are worth a warning: oddAcceptance says which.
 */
export function recipientAccepted(reply: Reply): boolean {
  return reply.code >= 200 && reply.code < 300;
}

/**
 * A permanent refusal of a command's form rather than its content: 500 or 501 (syntax
 * error, RFC 5321 §4.2.2), X.5.X (protocol or command syntax, RFC 3463 §3.6) or X.1.3
 * (bad address syntax, §3.2); never X.7.X, a refusal by policy whatever its code.
 * Servers count these: Exim drops a session at its fourth (smtp_max_synprot_errors).
 */
export function isSyntaxRefusal(reply: Reply): boolean {
  const enhanced = reply.enhanced;
  if (reply.code < 500 || reply.code > 599 || enhanced?.subject === 7) return false;
  return reply.code === 500 || reply.code === 501 || enhanced?.subject === 5 || (enhanced?.subject === 1 && enhanced.detail === 3);
}

/** An acceptance with a code other than the ones the command's RFC names (250, or 251 for RCPT): accepted, but odd. */
export function oddAcceptance(reply: Reply, expected: readonly number[] = [250, 251]): boolean {
  return isPositive(reply) && !expected.includes(reply.code);
}

/** The reply text with the enhanced code stripped from each line, joined by spaces. */
export function replyMessage(reply: Reply): string {
  return reply.lines
    .map((line) => (reply.enhanced && line.startsWith(reply.enhanced.text) ? line.slice(reply.enhanced.text.length).trimStart() : line))
    .join(' ')
    .trim();
}

/** "454 4.7.1 <r@example.net>: Relay access denied" — the first line as a human quotes it. */
export function replySummary(reply: Reply): string {
  const first = reply.raw[0] ?? String(reply.code);
  return reply.raw.length > 1 ? `${first} (+${reply.raw.length - 1} lines)` : first;
}
