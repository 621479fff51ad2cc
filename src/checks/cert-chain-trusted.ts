import type { CheckDefinition } from './check.js';
import { fail, info, pass } from './check.js';
import { defaultTlsSession } from './tls-probe.js';

/** The chain verifies against the system roots or --tls-ca (RFC 8314 §4.4 for submission; optional on MX, RFC 7435). */
export const certChainTrusted: CheckDefinition = {
  id: 'cert-chain-trusted',
  title: 'Certificate chain is trusted',
  roles: ['mta', 'submission', 'submissions'],
  severity: (role) => (role === 'mta' ? 'info' : 'high'),
  fix: 'use a certificate from a public CA (e.g. Let\'s Encrypt) and serve the full chain: Postfix smtpd_tls_chain_files = privkey.pem, fullchain.pem, Exim tls_certificate = fullchain.pem; for a private CA, test with --tls-ca',
  async run(context) {
    const tls = await defaultTlsSession(context);
    const anchor = tls.chain[tls.chain.length - 1];
    if (tls.chainVerified) return pass(`chain verified up to ${anchor?.subject ?? 'a trusted root'}`);
    if (tls.chainError === 'CERT_HAS_EXPIRED' || tls.chainError === 'CERT_NOT_YET_VALID') {
      // OpenSSL checks dates while building the chain: outside its validity period a
      // certificate cannot be verified at all. cert-validity says why.
      return fail(`chain cannot be verified: ${tls.chainError} (see cert-validity)`, { fix: 'renew the certificate (certbot renew) and reload the MTA so it serves the new one' });
    }
    const found = `chain not trusted: ${tls.chainError}`;
    return context.role === 'mta' ? info(`${found}; senders to an MX rarely verify (RFC 7435) unless DANE or MTA-STS applies`) : fail(found);
  },
};
