import type { CheckDefinition } from './check.js';
import { fail, pass, warn } from './check.js';
import { defaultTlsSession } from './tls-probe.js';

/** Warn this many days before expiry (testssl warns at 60 and 30). */
export const CERT_EXPIRY_WARNING_DAYS = 30;

export const certValidity: CheckDefinition = {
  id: 'cert-validity',
  title: 'Certificate in its validity period',
  roles: ['mta', 'submission', 'submissions'],
  severity: (role) => (role === 'mta' ? 'high' : 'crit'),
  fix: 'renew the certificate (certbot renew) and reload the MTA (postfix reload; Exim: restart the daemon) so it serves the new one',
  async run(context) {
    const tls = await defaultTlsSession(context);
    const leaf = tls.chain[0];
    if (!leaf) return fail('the server sent no certificate');
    if (leaf.notYetValid) return fail(`not valid before ${leaf.validFrom}`);
    if (leaf.daysLeft < 0) return fail(`expired on ${leaf.validTo.slice(0, 10)} (${-leaf.daysLeft} days ago)`);
    if (leaf.daysLeft < (context.target.certWarningDays ?? CERT_EXPIRY_WARNING_DAYS)) return warn(`expires in ${leaf.daysLeft} days (${leaf.validTo.slice(0, 10)})`, { severity: 'low' });
    return pass(`valid until ${leaf.validTo.slice(0, 10)} (${leaf.daysLeft} days left)`);
  },
};
