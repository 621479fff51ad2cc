import { recipientAccepted, replySummary } from '../core/reply.js';
import type { CheckDefinition } from './check.js';
import { inconclusive, pass } from './check.js';
import type { SessionTls } from './context.js';

/** Baseline: hosted mail is accepted, so the other relay verdicts mean something (catalogue §1.3). */
export const relayControl: CheckDefinition = {
  id: 'relay-control',
  title: 'Hosted mail is accepted (control for the relay checks)',
  roles: ['mta'],
  severity: 'func',
  fix: 'give a recipient the server hosts with --local-recipient (default postmaster@<local domain>), or check why the server refuses it',
  async run(context) {
    // Plaintext first, as a sending MTA may; inside TLS when the server demands it (530).
    for (const tls of ['none', 'tls'] as SessionTls[]) {
      const session = await context.open(tls);
      const mail = await session.mailFrom(`p@${context.target.foreignDomain}`);
      if (mail.code === 530 && tls === 'none' && session.capabilities?.startTls) {
        await context.done(session);
        continue;
      }
      const rcpt = mail.code === 250 ? await session.rcptTo(context.target.localRecipient) : null;
      await session.reset();
      if (rcpt && recipientAccepted(rcpt)) return pass(`${context.target.localRecipient} accepted from an outside sender${tls === 'tls' ? ' (inside TLS)' : ''}: ${replySummary(rcpt)}`);
      return inconclusive(`the control recipient ${context.target.localRecipient} was refused (${replySummary(rcpt ?? mail)}): relay verdicts for this server cannot be trusted`);
    }
    return inconclusive('the server refuses mail even inside TLS');
  },
};
