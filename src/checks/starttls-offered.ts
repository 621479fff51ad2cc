import type { CheckDefinition } from './check.js';
import { fail, pass } from './check.js';

export const starttlsOffered: CheckDefinition = {
  id: 'starttls-offered',
  title: 'STARTTLS advertised',
  roles: ['mta', 'submission'],
  severity: (role) => (role === 'submission' ? 'high' : 'med'),
  fix: 'Postfix: smtpd_tls_security_level = may (encrypt on submission) with smtpd_tls_chain_files (or smtpd_tls_cert_file + smtpd_tls_key_file); Exim: tls_advertise_hosts = * (the default since 4.92) with tls_certificate and tls_privatekey',
  async run(context) {
    const session = await context.open('none');
    return session.capabilities?.startTls ? pass('250-STARTTLS advertised before TLS') : fail('STARTTLS is not advertised: mail and passwords travel in the clear');
  },
};
