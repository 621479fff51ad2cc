import type { CheckDefinition } from './check.js';
import { fail, info, pass } from './check.js';
import { tryHandshake } from './tls-probe.js';

/** Anonymous (aNULL) suites: no certificate, so no protection against a man in the middle. */
export const tlsAnon: CheckDefinition = {
  id: 'tls-anon',
  title: 'No anonymous TLS suites where identity matters',
  roles: ['mta', 'submission', 'submissions'],
  severity: (role) => (role === 'mta' ? 'info' : 'med'),
  fix: 'Postfix: smtpd_tls_mandatory_exclude_ciphers = aNULL (and smtpd_tls_exclude_ciphers = aNULL) on submission ports; an MX may keep them for opportunistic TLS (RFC 7435); Exim: no anonymous suites in tls_require_ciphers (GnuTLS: no +ANON-DH or +ANON-ECDH; OpenSSL: add !aNULL)',
  async run(context) {
    const session = await tryHandshake(context, { ciphers: 'aNULL@SECLEVEL=0', maxVersion: 'TLSv1.2' });
    if (!session) return pass('anonymous suites refused');
    const found = `anonymous suite negotiated: ${session.cipherStandardName || session.cipher} (${session.protocol})`;
    return context.role === 'mta' ? info(`${found}; acceptable for opportunistic TLS on an MX`) : fail(found);
  },
};
