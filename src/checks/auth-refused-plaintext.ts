import { replySummary } from '../core/reply.js';
import type { CheckDefinition } from './check.js';
import { fail, pass } from './check.js';

/** Even when AUTH is hidden, the server must refuse it before TLS. No credential is ever sent (catalogue §1.5). */
export const authRefusedPlaintext: CheckDefinition = {
  id: 'auth-refused-plaintext',
  title: 'AUTH refused without TLS',
  roles: ['mta', 'submission'],
  severity: 'high',
  fix: 'Postfix: smtpd_tls_auth_only = yes; on submission smtpd_tls_security_level = encrypt',
  async run(context) {
    const session = await context.open('none');
    const auth = await session.command('AUTH PLAIN', 'auth');
    if (auth.code === 334) {
      const cancelled = await session.command('*', 'auth');
      return fail(`AUTH PLAIN without TLS got 334 (the server waits for a cleartext password); cancelled with * → ${cancelled.code}`);
    }
    return pass(`AUTH before TLS refused: ${replySummary(auth)}`);
  },
};
