import type { CheckDefinition } from './check.js';
import { fail, pass } from './check.js';

export const authHiddenPlaintext: CheckDefinition = {
  id: 'auth-hidden-plaintext',
  title: 'AUTH not advertised without TLS',
  roles: ['mta', 'submission'],
  severity: (role) => (role === 'submission' ? 'high' : 'med'),
  fix: 'Postfix: smtpd_tls_auth_only = yes (implied by smtpd_tls_security_level = encrypt); Exim: auth_advertise_hosts = ${if eq{$tls_in_cipher}{}{}{*}}',
  async run(context) {
    const session = await context.open('none');
    const mechanisms = session.capabilities?.authMechanisms ?? [];
    if (mechanisms.length > 0) return fail(`AUTH ${mechanisms.join(' ')} advertised before TLS: clients will send passwords in the clear`);
    return pass('no AUTH before TLS');
  },
};
