import { DEFERRAL_ADVICE, deferralOf } from '../core/deferral.js';
import type { Reply } from '../core/reply.js';
import { recipientAccepted, replySummary } from '../core/reply.js';
import type { CheckDefinition } from './check.js';
import { inconclusive, pass } from './check.js';
import type { CheckContext, SessionTls } from './context.js';
import { describeAttempts, settleDeferrals } from './deferral-retry.js';
import { attemptInSession, NEEDS_TLS } from './tls-on-demand.js';

/** Baseline: hosted mail is accepted, so the other relay verdicts mean something (docs/checks.md#safety-rules-and-the-source-address, rule 3). */
export const relayControl: CheckDefinition = {
  id: 'relay-control',
  title: 'Hosted mail is accepted (control for the relay checks)',
  roles: ['mta'],
  severity: 'func',
  fix: 'give a recipient the server hosts with --local-recipient (default postmaster@<local domain>), or check why the server refuses it',
  async run(context) {
    const { result, deferred } = await settleDeferrals(context, () => askControl(context), (answer) => deferralOf(answer.reply));
    const { reply, tls } = result;
    const inTls = tls === 'tls' ? ' (inside TLS)' : '';
    const retried = deferred.length > 0 ? ` after ${describeAttempts(deferred)}` : '';
    if (recipientAccepted(reply)) return pass(`${context.target.localRecipient} accepted from an outside sender${inTls}${retried}: ${replySummary(reply)}`);
    const deferral = deferralOf(reply);
    if (deferral) {
      return inconclusive(`the control recipient ${context.target.localRecipient} was deferred (${deferral.class}: ${replySummary(reply)}; ${describeAttempts(deferred)}): ${DEFERRAL_ADVICE[deferral.class]}`, {
        details: { kind: 'deferral', deferral },
      });
    }
    return inconclusive(`the control recipient ${context.target.localRecipient} was refused (${replySummary(reply)}): relay verdicts for this server cannot be trusted`);
  },
};

/**
 * MAIL from outside, RCPT to {known}: the reply that decides (RCPT's, or MAIL's when
 * MAIL was not accepted). Plaintext first, as a sending MTA may; inside TLS when the
 * server demands it (attemptInSession).
 */
async function askControl(context: CheckContext): Promise<{ reply: Reply; tls: SessionTls }> {
  const { result: reply, tls } = await attemptInSession(context, 'none', async (session, canStartTls) => {
    const mail = await session.mailFrom(`p@${context.target.foreignDomain}`);
    if (mail.code === 530 && canStartTls) return NEEDS_TLS;
    const rcpt = recipientAccepted(mail) ? await session.rcptTo(context.target.localRecipient) : null;
    await session.reset();
    return rcpt ?? mail;
  });
  return { reply, tls };
}
