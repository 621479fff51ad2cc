import type { Capabilities } from './capabilities.js';

export interface CapabilityFinding {
  level: 'warn' | 'info';
  keyword: string;
  message: string;
}

/**
 * Notes on capabilities that matter for security, judged from the EHLO answers
 * before and after STARTTLS (null when that phase did not happen).
 */
export function capabilityFindings(beforeTls: Capabilities | null, afterTls: Capabilities | null, implicitTls: boolean): CapabilityFinding[] {
  const findings: CapabilityFinding[] = [];
  const plaintext = implicitTls ? null : beforeTls;
  const secure = implicitTls ? beforeTls : afterTls;
  if (plaintext && plaintext.authMechanisms.length > 0) {
    findings.push({ level: 'warn', keyword: 'AUTH', message: `AUTH ${plaintext.authMechanisms.join(' ')} offered before TLS: clients may send passwords in the clear (Postfix: smtpd_tls_auth_only=yes)` });
  }
  if (plaintext && !plaintext.startTls && !plaintext.helo) {
    findings.push({ level: 'warn', keyword: 'STARTTLS', message: 'STARTTLS not offered: mail and passwords travel unencrypted (Postfix: smtpd_tls_security_level=may and a certificate)' });
  }
  if (afterTls && afterTls.startTls) {
    findings.push({ level: 'warn', keyword: 'STARTTLS', message: 'STARTTLS offered again inside TLS (RFC 3207 §4.2 says it must not be)' });
  }
  for (const caps of [plaintext, secure]) {
    if (caps?.vrfy) {
      findings.push({ level: 'info', keyword: 'VRFY', message: 'VRFY advertised: may let anyone test which addresses exist (Postfix: disable_vrfy_command=yes)' });
      break;
    }
  }
  if (secure && secure.authMechanisms.some((mech) => mech === 'CRAM-MD5' || mech === 'DIGEST-MD5')) {
    findings.push({ level: 'info', keyword: 'AUTH', message: 'CRAM-MD5/DIGEST-MD5 offered: historic mechanisms (RFC 6331) that force the server to store passwords recoverably' });
  }
  if (secure && secure.authMechanisms.includes('ANONYMOUS')) {
    findings.push({ level: 'warn', keyword: 'AUTH', message: 'AUTH ANONYMOUS offered: anyone can "authenticate"' });
  }
  if (secure?.xclient || plaintext?.xclient) {
    findings.push({ level: 'warn', keyword: 'XCLIENT', message: 'XCLIENT advertised to this client: it may be able to impersonate trusted hosts (Postfix: smtpd_authorized_xclient_hosts)' });
  }
  return findings;
}
