import { replySummary } from '../core/reply.js';
import type { CheckDefinition } from './check.js';
import { fail, pass } from './check.js';

/** Even when AUTH is hidden, the server must refuse it before TLS. No credential is ever sent (docs/checks.md#safety-rules-and-the-source-address, rule 1). */
export const authRefusedPlaintext: CheckDefinition = {
  id: 'auth-refused-plaintext',
  title: 'AUTH refused without TLS',
  roles: ['mta', 'submission'],
  severity: 'high',
  fix: 'Postfix: smtpd_tls_auth_only = yes; on submission smtpd_tls_security_level = encrypt; Exim: auth_advertise_hosts = ${if eq{$tls_in_cipher}{}{}{*}} (Exim then refuses an AUTH it did not advertise with 503)',
  async run(context) {
    const session = await context.open('none');
    const answers: string[] = [];
    // 504 ("mechanism not supported") to PLAIN says nothing about LOGIN, the other
    // cleartext mechanism, so both are asked; neither ever gets a credential.
    for (const mechanism of ['PLAIN', 'LOGIN']) {
      const auth = await session.command(`AUTH ${mechanism}`, 'auth');
      if (auth.code === 334) {
        const cancelled = await session.command('*', 'auth');
        return fail(`AUTH ${mechanism} without TLS got 334 (the server waits for a cleartext credential); cancelled with * → ${cancelled.code}`);
      }
      answers.push(`${mechanism}: ${replySummary(auth)}`);
      if (auth.code !== 504) break;
    }
    return pass(`AUTH before TLS refused (${answers.join('; ')})`);
  },
};
