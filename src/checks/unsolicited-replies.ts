import type { SmtpStep } from '../core/errors.js';
import { SmtpCheckError } from '../core/errors.js';
import type { Reply } from '../core/reply.js';
import type { SmtpSession } from '../core/session.js';

/**
 * Counting the replies nobody asked for (the answer to an injected EHLO, to a
 * smuggled transaction) without waiting out a silence. After the point where such
 * replies could appear, two sentinel commands go out in one write: a verb no server
 * knows, then NOOP. Their answers are known: 500 or 502 (RFC 5321 §4.2.4), then 250
 * (§4.1.1.9). A server answers in the order it reads (RFC 2920 keeps that order for
 * pipelined commands), so every reply before those two is unsolicited.
 *
 * Two different sentinels, because one alone can be mimicked: a server may answer
 * an injected EHLO with 502, or a smuggled command with 250. Only the pair, as the
 * last two replies read, ends the count. For a pass the pair must also come first;
 * for it to be something else, a server would have to answer the unknown verb with
 * 250 (injection), or refuse the smuggled MAIL with 500/502 and then accept its RCPT
 * (smuggling; RFC 5321 §3.3 demands 503): neither is SMTP.
 */
export const SENTINEL_VERB = 'XSMTPCHECK';
const SENTINELS = `${SENTINEL_VERB}\r\nNOOP\r\n`;

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

/** True when the last two replies are the sentinels' answers: 500 or 502, then 250. */
export function endsWithSentinelAnswers(replies: readonly Reply[]): boolean {
  const unknownVerb = replies[replies.length - 2];
  const noop = replies[replies.length - 1];
  return unknownVerb !== undefined && noop !== undefined && (unknownVerb.code === 500 || unknownVerb.code === 502) && noop.code === 250;
}

/**
 * Send the sentinels and read until their answers (or a close, the fallback silence,
 * a flood), in the server's order: replies already received come first. A connection
 * already closed gets no sentinels; the replies it left are still read.
 */
export async function countUnsolicitedReplies(session: SmtpSession, step: SmtpStep): Promise<UnsolicitedCount> {
  if (session.connection.isOpen) {
    try {
      session.sendRaw(SENTINELS, step, `${SENTINEL_VERB}\\r\\nNOOP\\r\\n   (one write: sentinels, answered 500/502 then 250)`);
    } catch (error) {
      if (!(error instanceof SmtpCheckError)) throw error;
    }
  }
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
    if (endsWithSentinelAnswers(replies)) return { unsolicited: replies.slice(0, -2), end: 'sentinels' };
    if (replies.length >= MAX_COUNTED_REPLIES) return { unsolicited: replies, end: 'flood' };
  }
}
