import type { Reply } from '../core/reply.js';
import { recipientAccepted, replySummary } from '../core/reply.js';
import type { SmtpSession } from '../core/session.js';

export interface SenderAttempt {
  mail: Reply;
  rcpt: Reply | null;
  /** MAIL and RCPT both accepted: the server would take mail from this sender. */
  accepted: boolean;
  /** The refusal, as the server worded it, or the accepting reply. */
  decisive: string;
}

/**
 * MAIL FROM the sender, then one RCPT, then RSET: Postfix delays sender restrictions
 * to RCPT time (smtpd_delay_reject=yes), so only the RCPT answer tells whether the
 * sender was refused. Nothing is ever sent.
 */
export async function trySender(session: SmtpSession, sender: string, recipient: string): Promise<SenderAttempt> {
  const mail = await session.mailFrom(sender);
  if (mail.code !== 250) return { mail, rcpt: null, accepted: false, decisive: replySummary(mail) };
  const rcpt = await session.rcptTo(recipient);
  await session.reset();
  const accepted = recipientAccepted(rcpt);
  return { mail, rcpt, accepted, decisive: replySummary(rcpt) };
}

export const SENDER_LOGIN_FIX =
  'Postfix: smtpd_sender_login_maps (who owns which address) plus reject_sender_login_mismatch in the submission service\'s smtpd_sender_restrictions (master.cf: -o smtpd_sender_restrictions=reject_sender_login_mismatch,permit_sasl_authenticated,reject)';
