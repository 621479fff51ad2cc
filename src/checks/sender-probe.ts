import type { Deferral, ReplyDisposition } from '../core/deferral.js';
import { DEFERRAL_ADVICE, deferralOf, replyDisposition } from '../core/deferral.js';
import type { Reply } from '../core/reply.js';
import { replySummary } from '../core/reply.js';
import type { SmtpSession } from '../core/session.js';
import type { CheckOutcome } from './check.js';
import { inconclusive } from './check.js';
import type { CheckContext } from './context.js';
import { describeAttempts, settleDeferrals } from './deferral-retry.js';

export interface SenderAttempt {
  mail: Reply;
  rcpt: Reply | null;
  /**
   * accepted: MAIL and RCPT both accepted, the server would take mail from this
   * sender; refused: one of them definitely refused; deferred or unsettled: neither
   * (docs/checks.md#deferrals).
   */
  disposition: ReplyDisposition;
  deferral: Deferral | null;
  /** The deciding reply, as the server worded it, with the retries it took. */
  decisive: string;
}

/**
 * MAIL FROM the sender, then one RCPT, then RSET, on a session `open` makes: Postfix
 * delays sender restrictions to RCPT time (smtpd_delay_reject=yes), so only the RCPT
 * answer tells whether the sender was refused. Nothing is ever sent. A deferred
 * answer is retried on a new session as a real client would (settleDeferrals).
 */
export async function trySender(context: CheckContext, open: () => Promise<SmtpSession>, sender: string, recipient: string): Promise<SenderAttempt> {
  const { result, deferred } = await settleDeferrals(
    context,
    async () => {
      const session = await open();
      try {
        return await attemptSender(session, sender, recipient);
      } finally {
        await context.done(session);
      }
    },
    (attempt) => attempt.deferral,
  );
  return deferred.length === 0 ? result : { ...result, decisive: `${result.decisive} (${describeAttempts(deferred)})` };
}

async function attemptSender(session: SmtpSession, sender: string, recipient: string): Promise<SenderAttempt> {
  const mail = await session.mailFrom(sender);
  if (replyDisposition(mail) !== 'accepted') return { mail, rcpt: null, disposition: replyDisposition(mail), deferral: deferralOf(mail), decisive: replySummary(mail) };
  const rcpt = await session.rcptTo(recipient);
  await session.reset();
  return { mail, rcpt, disposition: replyDisposition(rcpt), deferral: deferralOf(rcpt), decisive: replySummary(rcpt) };
}

/** A sender attempt that was neither accepted nor refused settles nothing: inconclusive, with the class and the advice. */
export function unsettledSender(sender: string, attempt: SenderAttempt): CheckOutcome {
  if (attempt.deferral) return inconclusive(`sending as ${sender} was deferred (${attempt.deferral.class}: ${attempt.decisive}): ${DEFERRAL_ADVICE[attempt.deferral.class]}`);
  return inconclusive(`sending as ${sender} was answered ${attempt.decisive}: neither an acceptance nor a refusal`);
}

export const SENDER_LOGIN_FIX =
  'Postfix: smtpd_sender_login_maps (who owns which address) plus reject_sender_login_mismatch in the submission service\'s smtpd_sender_restrictions (master.cf: -o smtpd_sender_restrictions=reject_sender_login_mismatch,permit_sasl_authenticated,reject); Exim: in acl_smtp_mail (or acl_smtp_rcpt), deny senders whose address is not the authenticated id: deny !condition = ${if eqi{$authenticated_id}{$sender_address}}';
