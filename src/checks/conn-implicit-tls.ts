import { TlsError } from '../core/errors.js';
import type { CheckDefinition } from './check.js';
import { fail, pass } from './check.js';

/** Port 465 speaks TLS from the first byte, then greets inside TLS (RFC 8314 §3.3). */
export const connImplicitTls: CheckDefinition = {
  id: 'conn-implicit-tls',
  title: 'Implicit TLS from the first byte',
  roles: ['submissions'],
  severity: 'high',
  fix: 'Postfix: in master.cf, the submissions (465) service needs -o smtpd_tls_wrappermode=yes and a certificate (smtpd_tls_chain_files); Exim: tls_on_connect_ports = 465 with tls_certificate and tls_privatekey',
  async run(context) {
    try {
      const session = await context.open('none', { ehlo: false });
      return pass(`TLS handshake first (${session.tls!.protocol}), then the 220 greeting inside TLS`);
    } catch (error) {
      if (error instanceof TlsError) return fail(`no TLS on connect: ${error.message}`);
      throw error;
    }
  },
};
