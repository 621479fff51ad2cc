import type { Deferral } from '../core/deferral.js';
import { DEFERRAL_ADVICE, deferralOf } from '../core/deferral.js';
import { ProtocolError } from '../core/errors.js';
import type { Reply } from '../core/reply.js';
import { replySummary } from '../core/reply.js';
import type { SmtpSession } from '../core/session.js';
import type { CheckOutcome } from './check.js';
import { inconclusive } from './check.js';
import type { CheckContext, SessionTls } from './context.js';
import { settleDeferrals } from './deferral-retry.js';
import type { EnumerationPair, EnumerationVerb } from './enumeration.js';
import { enumerationDeferral, judgeEnumeration } from './enumeration.js';
import { attemptInSession, NEEDS_TLS } from './tls-on-demand.js';

/** What one round of questions got: the pairs answered, and the cut that stopped it, if one did. */
interface Asked {
  pairs: EnumerationPair[];
  tls: SessionTls;
  /** Why not every pair was answered: a session cut before it answered one, or with no retry left (askPairs). */
  cut: SessionCut | null;
}

interface SessionCut {
  /** The 421 that ended it, or null when the connection just closed. */
  reply: Reply | null;
  deferral: Deferral | null;
  /** How many answers the session gave before it was cut. */
  answers: number;
}

/**
 * Ask `verb` for each [hosted, random] pair and judge the answers (judgeEnumeration).
 * An MX that answers 530 before TLS is asked again inside it; a deferred answer is
 * asked again on a new session (settleDeferrals). A session the server cuts (Postfix
 * ends one with `421 4.7.0 … too many errors` once VRFY's 502s reach its hard error
 * limit) is not an answer: the pairs left are asked on a new session.
 */
export async function probeEnumeration(context: CheckContext, verb: EnumerationVerb, addresses: readonly [string, string][]): Promise<CheckOutcome> {
  const { result } = await settleDeferrals(
    context,
    () => askPairs(context, verb, addresses),
    (asked) => asked.cut?.deferral ?? enumerationDeferral(asked.pairs),
  );
  const where = result.tls === 'tls' && context.role === 'mta' ? ' (inside TLS)' : '';
  const outcome = judgeEnumeration(verb, result.pairs, where);
  if (!result.cut || outcome.verdict === 'fail') return outcome;
  const { cut } = result;
  const how = cut.reply ? `with ${replySummary(cut.reply)}` : 'by closing the connection';
  const advice = cut.deferral ? `${cut.deferral.class}: ${DEFERRAL_ADVICE[cut.deferral.class]}` : 'see the server log';
  return inconclusive(`${verb}: the server cut the session ${how} after ${cut.answers} answer${cut.answers === 1 ? '' : 's'}, before every address was asked (${advice})`, {
    details: { kind: 'deferral', deferral: cut.deferral, answered: result.pairs.length, asked: addresses.length },
  });
}

/**
 * Ask the pairs on one session, going on with a new session where the server cut
 * one; gives up (returning the cut) when a session is cut before it answered a
 * single pair, or the run's retry budget is spent.
 */
async function askPairs(context: CheckContext, verb: EnumerationVerb, addresses: readonly [string, string][]): Promise<Asked> {
  let tls: SessionTls = context.role === 'mta' ? 'none' : 'tls';
  const pairs: EnumerationPair[] = [];
  for (;;) {
    const before = pairs.length;
    const asked = await attemptInSession(context, tls, (session, canStartTls) => askOnSession(session, canStartTls, verb, addresses, pairs));
    tls = asked.tls;
    const cut = asked.result;
    if (!cut) return { pairs, tls, cut: null };
    if (pairs.length === before || !context.retryBudget.take()) return { pairs, tls, cut };
  }
}

/** The pairs not yet answered, on one session, added to `pairs`; the cut, if the server cut the session. */
async function askOnSession(session: SmtpSession, canStartTls: boolean, verb: EnumerationVerb, addresses: readonly [string, string][], pairs: EnumerationPair[]): Promise<SessionCut | null | typeof NEEDS_TLS> {
  let answers = 0;
  let cut: SessionCut | null = null;
  const next = async (line: string): Promise<Reply | null> => {
    const reply = await ask(session, line);
    if ('closing' in reply) {
      cut = { reply: reply.closing, deferral: reply.closing && deferralOf(reply.closing), answers };
      return null;
    }
    answers += 1;
    return reply;
  };
  for (const [hosted, random] of addresses.slice(pairs.length)) {
    const hostedReply = await next(`${verb} ${hosted}`);
    if (!hostedReply) break;
    if (hostedReply.code === 530 && canStartTls) return NEEDS_TLS;
    const randomReply = await next(`${verb} ${random}`);
    if (!randomReply) break;
    pairs.push({ hosted, hostedReply, random, randomReply });
  }
  return cut;
}

/**
 * One command; a 421 (RFC 5321 §3.8: the server is closing the channel) or a
 * connection the server closed (`closing: null`) ends the session: it is not the
 * command's answer.
 */
async function ask(session: SmtpSession, line: string): Promise<Reply | { closing: Reply | null }> {
  try {
    const reply = await session.command(line);
    return reply.code === 421 ? { closing: reply } : reply;
  } catch (error) {
    if (error instanceof ProtocolError && error.loss) return { closing: null };
    throw error;
  }
}
