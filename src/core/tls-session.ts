import { X509Certificate } from 'node:crypto';
import { isIP } from 'node:net';
import type { DetailedPeerCertificate, PeerCertificate, TLSSocket } from 'node:tls';
import { checkServerIdentity } from 'node:tls';

/** One certificate of the peer's chain, as a mail admin needs to see it. */
export interface CertificateSummary {
  subject: string;
  subjectAltNames: string[];
  issuer: string;
  validFrom: string;
  validTo: string;
  /** Whole days until validTo; negative once expired. */
  daysLeft: number;
  notYetValid: boolean;
  serialNumber: string;
  fingerprint256: string;
  publicKey: string;
  selfSigned: boolean;
  /** DER, base64: lets --tls-save-chain and DANE hashing work from the summary alone. */
  derBase64: string;
}

export interface TlsSessionInfo {
  protocol: string;
  cipher: string;
  cipherStandardName: string;
  /** The name sent as SNI, or null when connecting to an IP address. */
  servername: string | null;
  /** Chain verified against the system roots or --tls-ca. */
  chainVerified: boolean;
  chainError: string | null;
  /** The name the certificate was checked against (RFC 6125 / RFC 9525 rules). */
  nameChecked: string;
  nameMatches: boolean;
  nameError: string | null;
  chain: CertificateSummary[];
  /** Ephemeral key exchange, e.g. "ECDH X25519 253 bits", when Node can tell. */
  keyExchange: string | null;
}

export const verificationPassed = (session: TlsSessionInfo): boolean => session.chainVerified && session.nameMatches;

/** The first verification failure as one line, or null when the certificate is good for the name. */
export function verificationFailure(session: TlsSessionInfo): string | null {
  if (!session.chainVerified) return `certificate chain not trusted (${session.chainError ?? 'unknown reason'})`;
  if (!session.nameMatches) return `certificate is not valid for ${session.nameChecked} (${session.nameError ?? 'name mismatch'})`;
  return null;
}

const DAY_MS = 86_400_000;

// NIST SP 800-131A and the CA/Browser Forum Baseline Requirements (§6.1.5) retired RSA
// keys under 2048 bits; OpenSSL's default security level 1 still accepts 1024, so the
// handshake alone does not say so.
export const MIN_RSA_KEY_BITS = 2048;

/** A warning for a leaf certificate whose RSA key is too short, or null. */
export function weakKeyWarning(cert: CertificateSummary): string | null {
  let key;
  try {
    key = new X509Certificate(Buffer.from(cert.derBase64, 'base64')).publicKey;
  } catch {
    return null;
  }
  const bits = key.asymmetricKeyDetails?.modulusLength;
  if (key.asymmetricKeyType !== 'rsa' || bits === undefined || bits >= MIN_RSA_KEY_BITS) return null;
  return `the server certificate has a weak ${bits}-bit RSA key (at least ${MIN_RSA_KEY_BITS} bits expected)`;
}

export function summariseCertificate(cert: PeerCertificate, now = Date.now()): CertificateSummary {
  const validTo = Date.parse(cert.valid_to);
  const validFrom = Date.parse(cert.valid_from);
  return {
    subject: distinguishedName(cert.subject),
    subjectAltNames: cert.subjectaltname ? cert.subjectaltname.split(', ') : [],
    issuer: distinguishedName(cert.issuer),
    validFrom: new Date(validFrom).toISOString(),
    validTo: new Date(validTo).toISOString(),
    daysLeft: Math.floor((validTo - now) / DAY_MS),
    notYetValid: validFrom > now,
    serialNumber: cert.serialNumber,
    fingerprint256: cert.fingerprint256,
    publicKey: describePublicKey(cert),
    selfSigned: cert.fingerprint256 === (cert as DetailedPeerCertificate).issuerCertificate?.fingerprint256,
    derBase64: cert.raw.toString('base64'),
  };
}

function distinguishedName(name: PeerCertificate['subject'] | undefined): string {
  if (!name) return '';
  return Object.entries(name)
    .map(([key, value]) => `${key}=${Array.isArray(value) ? value.join('+') : value}`)
    .join(', ');
}

function describePublicKey(cert: PeerCertificate): string {
  try {
    const key = new X509Certificate(cert.raw).publicKey;
    const details = key.asymmetricKeyDetails;
    if (key.asymmetricKeyType === 'rsa') return `RSA ${details?.modulusLength ?? '?'} bits`;
    if (key.asymmetricKeyType === 'ec') return `EC ${details?.namedCurve ?? '?'}`;
    return (key.asymmetricKeyType ?? 'unknown').toUpperCase();
  } catch {
    return cert.bits ? `${cert.bits} bits` : 'unknown';
  }
}

/** The peer chain, leaf first, stopping at the self-signed root or where the server stopped sending. */
export function peerChain(socket: TLSSocket): PeerCertificate[] {
  const chain: PeerCertificate[] = [];
  const seen = new Set<string>();
  let cert: DetailedPeerCertificate | undefined = socket.getPeerCertificate(true) as DetailedPeerCertificate;
  while (cert && cert.raw && !seen.has(cert.fingerprint256)) {
    seen.add(cert.fingerprint256);
    chain.push(cert);
    cert = cert.issuerCertificate;
  }
  return chain;
}

/**
 * Everything the transcript shows about an established TLS session. Chain and name
 * are judged separately so that --insecure can continue and still report both.
 */
export function describeTlsSession(socket: TLSSocket, nameToCheck: string, servername: string | null): TlsSessionInfo {
  const chain = peerChain(socket);
  const leaf = chain[0];
  const chainError = socket.authorized ? null : stringifyAuthorizationError(socket.authorizationError);
  let nameError: string | null = 'server sent no certificate';
  if (leaf) {
    const failure = checkServerIdentity(isIP(nameToCheck) ? nameToCheck : nameToCheck.toLowerCase(), leaf);
    nameError = failure ? failure.message : null;
  }
  const cipher = socket.getCipher();
  const ephemeral = socket.getEphemeralKeyInfo();
  return {
    protocol: socket.getProtocol() ?? 'unknown',
    cipher: cipher.name,
    cipherStandardName: cipher.standardName,
    servername,
    chainVerified: socket.authorized,
    chainError,
    nameChecked: nameToCheck,
    nameMatches: nameError === null,
    nameError,
    chain: chain.map((cert) => summariseCertificate(cert)),
    keyExchange: ephemeral && 'type' in ephemeral && ephemeral.type ? `${ephemeral.type}${ephemeral.name ? ` ${ephemeral.name}` : ''} ${ephemeral.size} bits` : null,
  };
}

function stringifyAuthorizationError(error: Error | string | null | undefined): string {
  if (!error) return 'unknown';
  return typeof error === 'string' ? error : (error as NodeJS.ErrnoException).code ?? error.message;
}

/** PEM text of a chain, for --tls-save-chain. */
export function chainToPem(chain: CertificateSummary[]): string {
  return chain
    .map((cert) => {
      const lines = cert.derBase64.match(/.{1,64}/g) ?? [];
      return `-----BEGIN CERTIFICATE-----\n${lines.join('\n')}\n-----END CERTIFICATE-----\n`;
    })
    .join('');
}
