import { authenticate } from '../core/authenticate.js';
import { AuthError } from '../core/errors.js';
import { replySummary } from '../core/reply.js';
import type { CheckDefinition } from './check.js';
import { fail, pass } from './check.js';

export const authSuccess: CheckDefinition = {
  id: 'auth-success',
  title: 'Credentials work',
  roles: ['submission', 'submissions'],
  severity: 'func',
  needs: ['credentials'],
  fix: 'check the user name (usually the full address) and password; Postfix: smtpd_sasl_auth_enable=yes, smtpd_sasl_type=dovecot, smtpd_sasl_path=private/auth and Dovecot\'s auth socket (service auth { unix_listener /var/spool/postfix/private/auth }); Exim: a plaintext (or dovecot) authenticator for the mechanism, and auth_advertise_hosts matching this connection',
  async run(context) {
    const session = await context.open('tls');
    const { user, password } = context.target.credentials!;
    const offered = session.capabilities?.authMechanisms ?? [];
    try {
      const outcome = await authenticate(session, { user, secret: password, ...(offered.includes('PLAIN') ? { mechanism: 'PLAIN' } : {}) });
      return pass(`${user} authenticated with ${outcome.mechanism}: ${replySummary(outcome.reply)}`);
    } catch (error) {
      if (error instanceof AuthError) return fail(error.message);
      throw error;
    }
  },
};
