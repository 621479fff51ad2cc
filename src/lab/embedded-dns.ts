import { createHash, X509Certificate } from 'node:crypto';
import dnsPacket from 'dns-packet';
import { DEMO_SERVER_CERT_PEM } from './demo-certificates.js';
import type { DnsListener } from './dns-listener.js';
import { listenDns } from './dns-listener.js';
import { HOSTED_DOMAIN, SERVER_HOSTNAME } from './embedded-postures.js';

/**
 * The embedded lab's own DNS: an authoritative answer for its domain, so that
 * `smtpcheck domain example.org --resolver HOST:PORT --port MTA_PORT` works with
 * nothing set up. It shows MX resolution, the TLS-RPT record and a TLSA record, but
 * it is not signed and not a validating resolver: dnssec-signed warns and dane-tlsa
 * reports the TLSA as unusable. DNSSEC, DANE and MTA-STS need the real DNS lab
 * (test/lab/dns/, docs/domain.md#the-dns-lab).
 */

/** The zone, for an MX that listens on `address`:`smtpPort`. */
export function embeddedZone(address: string, smtpPort: number): dnsPacket.Answer[] {
  const spki = new X509Certificate(DEMO_SERVER_CERT_PEM).publicKey.export({ type: 'spki', format: 'der' });
  const ttl = 300;
  return [
    { type: 'MX', name: HOSTED_DOMAIN, ttl, data: { preference: 10, exchange: SERVER_HOSTNAME } },
    { type: address.includes(':') ? 'AAAA' : 'A', name: SERVER_HOSTNAME, ttl, data: address },
    { type: 'TLSA', name: `_${smtpPort}._tcp.${SERVER_HOSTNAME}`, ttl, data: { usage: 3, selector: 1, matchingType: 1, certificate: createHash('sha256').update(spki).digest() } },
    { type: 'TXT', name: `_smtp._tls.${HOSTED_DOMAIN}`, ttl, data: [`v=TLSRPTv1; rua=mailto:tlsrpt@${HOSTED_DOMAIN}`] },
  ];
}

const under = (name: string, domain: string): boolean => name === domain || name.endsWith(`.${domain}`);

// RFC 1035 §4.1.1.
const RCODE_NXDOMAIN = 3;
const RCODE_REFUSED = 5;

/** The answer to one query from `zone`: records, NODATA, NXDOMAIN, or REFUSED outside the domain. */
export function answerFromZone(zone: readonly dnsPacket.Answer[], query: dnsPacket.DecodedPacket): dnsPacket.Packet {
  const question = query.questions?.[0];
  const name = question?.name.toLowerCase().replace(/\.$/, '') ?? '';
  const base = { type: 'response' as const, id: query.id, questions: query.questions ?? [] };
  if (!question || !under(name, HOSTED_DOMAIN)) return { ...base, flags: RCODE_REFUSED };
  const owned = zone.filter((record) => record.name === name);
  const answers = owned.filter((record) => record.type === question.type);
  return { ...base, flags: dnsPacket.AUTHORITATIVE_ANSWER | (owned.length === 0 && name !== HOSTED_DOMAIN ? RCODE_NXDOMAIN : 0), answers };
}

export function startEmbeddedDns(host: string, port: number, zone: readonly dnsPacket.Answer[]): Promise<DnsListener> {
  return listenDns(host, port, (message) => {
    let query: dnsPacket.DecodedPacket;
    try {
      query = dnsPacket.decode(message);
    } catch {
      return []; // not DNS: no answer
    }
    return [dnsPacket.encode(answerFromZone(zone, query))];
  });
}
