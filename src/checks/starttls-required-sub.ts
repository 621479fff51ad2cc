import { isPositive, recipientAccepted, replySummary } from '../core/reply.js';
import type { CheckDefinition } from './check.js';
import { fail, pass } from './check.js';

/** The submission port does nothing before TLS (RFC 3207 §4, RFC 8314). */
export const starttlsRequiredSub: CheckDefinition = {
  id: 'starttls-required-sub',
  title: 'Submission refuses work before TLS',
  roles: ['submission'],
  severity: 'high',
  fix: 'Postfix master.cf, submission service: -o smtpd_tls_security_level=encrypt (which also implies smtpd_tls_auth_only=yes); Exim: auth_advertise_hosts = ${if eq{$tls_in_cipher}{}{}{*}} and, for the submission port in acl_smtp_mail, deny !authenticated = *',
  async run(context) {
    const session = await context.open('none');
    const mail = await session.mailFrom(context.user);
    const rcpt = await session.rcptTo(`r@${context.target.foreignDomain}`);
    // AUTH inside a transaction gets 503 whatever the TLS state; leave it first.
    if (isPositive(mail)) await session.reset();
    const auth = await session.command('AUTH PLAIN', 'auth');
    // Never a credential before TLS (docs/checks.md#safety-rules-and-the-source-address, rule 1): cancel the exchange.
    if (auth.code === 334) await session.command('*', 'auth');
    const answered = [`MAIL ${mail.code}`, `RCPT ${rcpt.code}`, `AUTH ${auth.code}`].join(', ');
    if (isPositive(mail)) return fail(`plaintext MAIL accepted before STARTTLS: ${replySummary(mail)}`);
    if (recipientAccepted(rcpt)) return fail(`plaintext RCPT accepted before STARTTLS: ${replySummary(rcpt)}`);
    if (auth.code === 334) return fail('AUTH PLAIN before STARTTLS got 334: the server waits for a cleartext password');
    return pass(`everything refused before TLS (${answered})`);
  },
};
