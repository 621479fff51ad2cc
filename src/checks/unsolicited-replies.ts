import type { SmtpStep } from '../core/errors.js';
import { SmtpCheckError } from '../core/errors.js';
import type { Reply } from '../core/reply.js';
import type { SmtpSession } from '../core/session.js';

/**
 * Counting the replies nobody asked for (the answer to an injected EHLO, to a
 * smuggled transaction) without waiting out a silence. After the point where such
 * replies could appear, two sentinel commands go out: a verb no server knows, then,
 * once a 500 or 502 has come back, NOOP. Their answers are known: 500 or 502 (RFC
 * 5321 §4.2.4), then 250 (§4.1.1.9). A server answers in the order it reads, so
 * every reply before those two is unsolicited.
 *
 * Each sentinel goes alone, never pipelined: RFC 2920 §3.1 lets no command follow
 * NOOP or an unknown verb in a group, nor anything be pipelined to a server that
 * does not list PIPELINING, and a strict server enforces it (Exim's
 * smtp_enforce_sync answers early input with "554 SMTP synchronization error" and
 * hangs up; docs/checks.md#smug-eod). On a clean server each is sent after every
 * reply owed has been read: one round trip more than one write of both, still no
 * waiting out a silence.
 *
 * Two different sentinels, because one alone can be mimicked: a server may answer
 * an injected EHLO with 502, or a smuggled command with 250. Only the pair, as the
 * last two replies read, ends the count. For a pass the pair must also come first;
 * for it to be something else, a server would have to answer the unknown verb with
 * 250 (injection), or refuse the smuggled MAIL with 500/502 and then accept its RCPT
 * (smuggling; RFC 5321 §3.3 demands 503): neither is SMTP.
 */
export const SENTINEL_VERB = 'XSMTPCHECK';

// Fallback for a server that swallows a sentinel: the count ends after this much
// silence, and what arrived is judged as it was before sentinels (every reply
// unsolicited). Loopback and LAN servers answer in milliseconds.
export const SENTINEL_QUIET_MS = 2000;
// A server that keeps answering is flooding; what was read by then is judged.
const MAX_COUNTED_REPLIES = 32;

export interface UnsolicitedCount {
  /** Replies before the sentinels' answers; every reply read when those never came. */
  unsolicited: Reply[];
  /** sentinels: both answered as expected; closed: the server hung up; silence: the fallback timer ran out; flood: too many replies. */
  end: 'sentinels' | 'closed' | 'silence' | 'flood';
  /** Why the connection ended, when it did. */
  closedBy?: SmtpCheckError;
}

const answersUnknownVerb = (reply: Reply | undefined): boolean => reply !== undefined && (reply.code === 500 || reply.code === 502);

/** True when the last two replies are the sentinels' answers: 500 or 502, then 250. */
export function endsWithSentinelAnswers(replies: readonly Reply[]): boolean {
  const noop = replies[replies.length - 1];
  return answersUnknownVerb(replies[replies.length - 2]) && noop !== undefined && noop.code === 250;
}

/** One sentinel, alone on the wire; nothing when the connection is already gone (the replies it left are still read). */
function sendSentinel(session: SmtpSession, step: SmtpStep, line: string, answer: string): void {
  if (!session.connection.isOpen) return;
  try {
    session.sendRaw(`${line}\r\n`, step, `${line}   (sentinel, alone; answered ${answer})`);
  } catch (error) {
    if (!(error instanceof SmtpCheckError)) throw error;
  }
}

/**
 * Send the unknown verb, then NOOP after the first 500 or 502, and read until their
 * answers (or a close, the fallback silence, a flood), in the server's order:
 * replies already received come first. A connection already closed gets no
 * sentinels; the replies it left are still read.
 */
export async function countUnsolicitedReplies(session: SmtpSession, step: SmtpStep): Promise<UnsolicitedCount> {
  sendSentinel(session, step, SENTINEL_VERB, '500/502');
  let noopSent = false;
  const replies: Reply[] = [];
  for (;;) {
    let reply: Reply | null;
    try {
      reply = await session.connection.readUnsolicitedReply(step, SENTINEL_QUIET_MS);
    } catch (error) {
      if (!(error instanceof SmtpCheckError)) throw error;
      return { unsolicited: replies, end: 'closed', closedBy: error };
    }
    if (!reply) return { unsolicited: replies, end: 'silence' };
    replies.push(reply);
    if (noopSent && endsWithSentinelAnswers(replies)) return { unsolicited: replies.slice(0, -2), end: 'sentinels' };
    if (replies.length >= MAX_COUNTED_REPLIES) return { unsolicited: replies, end: 'flood' };
    if (!noopSent && answersUnknownVerb(reply)) {
      noopSent = true;
      sendSentinel(session, step, 'NOOP', '250');
    }
  }
}
