import type { CheckDefinition } from './check.js';
import { fail, pass } from './check.js';
import { trySender, unsettledSender } from './sender-probe.js';

/** Without AUTH, nobody may use a hosted sender on the submission port (RFC 6409 §4.3). */
export const spoofSubmissionUnauth: CheckDefinition = {
  id: 'spoof-submission-unauth',
  title: 'Unauthenticated clients cannot use local senders',
  roles: ['submission'],
  severity: 'high',
  fix: 'Postfix master.cf, submission: -o smtpd_recipient_restrictions=permit_sasl_authenticated,reject and -o smtpd_sender_restrictions=reject_sender_login_mismatch,permit_sasl_authenticated,reject; Exim: for the submission port, deny !authenticated = * in acl_smtp_mail (or acl_smtp_rcpt)',
  async run(context) {
    const recipient = context.target.otherSender ?? context.target.localRecipient;
    const attempt = await trySender(context, () => context.open('tls'), context.user, recipient);
    if (attempt.disposition === 'accepted') return fail(`without AUTH, MAIL FROM:<${context.user}> to ${recipient} was accepted: ${attempt.decisive}`);
    if (attempt.disposition === 'refused') return pass(`refused without AUTH: ${attempt.decisive}`);
    return unsettledSender(context.user, attempt);
  },
};
