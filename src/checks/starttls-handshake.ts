import { TlsError } from '../core/errors.js';
import type { CheckDefinition } from './check.js';
import { fail, pass, skip } from './check.js';

export const starttlsHandshake: CheckDefinition = {
  id: 'starttls-handshake',
  title: 'STARTTLS works',
  roles: ['mta', 'submission'],
  severity: 'high',
  fix: 'check the server log for the TLS error; Postfix needs a readable certificate and key (smtpd_tls_chain_files) and sane smtpd_tls_protocols; Exim, tls_certificate and tls_privatekey readable by the Exim user and a tls_require_ciphers the library accepts',
  async run(context) {
    const session = await context.open('none');
    if (!session.capabilities?.startTls) return skip('STARTTLS not advertised (see starttls-offered)');
    try {
      const tls = await session.startTls();
      return pass(`220, then ${tls.protocol} with ${tls.cipherStandardName || tls.cipher}`);
    } catch (error) {
      if (error instanceof TlsError) return fail(error.message);
      throw error;
    }
  },
};
