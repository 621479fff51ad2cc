import type { CheckDefinition } from './check.js';
import { fail, info, pass } from './check.js';
import { defaultTlsSession } from './tls-probe.js';

/** The certificate is valid for the name clients use (RFC 9525 rules via tls.checkServerIdentity). */
export const certHostname: CheckDefinition = {
  id: 'cert-hostname',
  title: 'Certificate valid for the service name',
  roles: ['mta', 'submission', 'submissions'],
  severity: (role) => (role === 'mta' ? 'info' : 'high'),
  fix: 'issue the certificate for the name clients connect to (the MX or submission host name, as a subjectAltName); test with --tls-servername NAME when connecting by address',
  async run(context) {
    const tls = await defaultTlsSession(context);
    const names = tls.chain[0]?.subjectAltNames.join(', ') ?? 'no certificate';
    if (tls.nameMatches) return pass(`valid for ${tls.nameChecked} (${names})`);
    const found = `not valid for ${tls.nameChecked}: ${tls.nameError} (names: ${names})`;
    return context.role === 'mta' ? info(`${found}; matters on an MX only with DANE-TA or MTA-STS`) : fail(found);
  },
};
