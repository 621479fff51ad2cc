import type { SecureVersion } from 'node:tls';
import type { CheckDefinition } from './check.js';
import { fail, pass, warn } from './check.js';
import { tryHandshake } from './tls-probe.js';

const VERSIONS: readonly SecureVersion[] = ['TLSv1', 'TLSv1.1', 'TLSv1.2', 'TLSv1.3'];
const LEGACY: readonly SecureVersion[] = ['TLSv1', 'TLSv1.1'];

/** Which TLS versions the server accepts; 1.0 and 1.1 are deprecated (RFC 8996), and RFC 8997 sets 1.2 as the floor for submission. */
export const tlsVersions: CheckDefinition = {
  id: 'tls-versions',
  title: 'Only TLS 1.2 and 1.3 offered',
  roles: ['mta', 'submission', 'submissions'],
  severity: (role) => (role === 'mta' ? 'low' : 'med'),
  fix: 'Postfix: smtpd_tls_protocols = >=TLSv1.2 and smtpd_tls_mandatory_protocols = >=TLSv1.2 (an MX may keep TLSv1 for old senders: opportunistic TLS beats plaintext); Exim with GnuTLS (Debian): tls_require_ciphers = NORMAL:-VERS-TLS1.0:-VERS-TLS1.1, with OpenSSL: openssl_options = +no_tlsv1 +no_tlsv1_1',
  async run(context) {
    const offered: SecureVersion[] = [];
    for (const version of VERSIONS) {
      // OpenSSL 3 refuses TLS 1.0/1.1 at the default security level: without
      // SECLEVEL=0 a legacy server would look like it does not offer them (docs/checks.md#tls-versions).
      const ciphers = LEGACY.includes(version) ? 'DEFAULT@SECLEVEL=0' : undefined;
      const session = await tryHandshake(context, { minVersion: version, maxVersion: version, ...(ciphers ? { ciphers } : {}) });
      if (session) offered.push(version);
    }
    const legacy = offered.filter((version) => LEGACY.includes(version));
    const list = offered.join(', ') || 'none';
    if (offered.length === 0) return fail('no TLS version could be negotiated');
    if (legacy.length > 0) {
      const message = `deprecated ${legacy.join(' and ')} accepted (offered: ${list})`;
      return context.role === 'mta' ? warn(`${message}; tolerable on an MX, where any TLS beats plaintext`) : fail(message);
    }
    return pass(`offered: ${list}${offered.includes('TLSv1.3') ? '' : ' (TLS 1.3 missing: sufficient, not good)'}`);
  },
};
