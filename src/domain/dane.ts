import { createHash, X509Certificate } from 'node:crypto';
import type { DaneFailure } from '../checks/evidence.js';
import type { TlsaRecord } from '../core/dns/resolver.js';

/**
 * DANE for SMTP (RFC 7672) with the TLSA matching rules of RFC 6698 §2.1 and the
 * operational updates of RFC 7671: pure functions over TLSA records and the DER
 * chain the server presented.
 */

/** RFC 7672 §3.1: only DANE-TA(2) and DANE-EE(3) are for SMTP; selectors 0/1, matching 0/1/2 are defined. */
export function isUsableTlsa(record: TlsaRecord): boolean {
  return (record.usage === 2 || record.usage === 3) && (record.selector === 0 || record.selector === 1) && record.matchingType >= 0 && record.matchingType <= 2;
}

/**
 * The TLSA base domains to try, in order (RFC 7672 §2.2.2): when the MX host name is
 * an alias and its CNAME chain and address records validated, the fully expanded name
 * first, then the MX host name; otherwise the MX host name alone (an alias that did
 * not validate cannot move where DANE looks).
 */
export function tlsaBaseDomains(host: string, cnames: readonly string[], validated: boolean): string[] {
  const expanded = cnames[cnames.length - 1];
  return expanded !== undefined && validated ? [expanded, host] : [host];
}

export const describeTlsa = (record: TlsaRecord): string => `${record.usage} ${record.selector} ${record.matchingType} ${record.data.toString('hex').slice(0, 16)}…`;

export interface DaneMatch {
  record: TlsaRecord;
  /** Index in the presented chain (0 = leaf) of the certificate that matched. */
  chainIndex: number;
}

export type DaneVerdict = { authenticated: true; match: DaneMatch } | { authenticated: false; reason: DaneFailure; problem: string };

/** The selected bytes, transformed by the matching type, compared with the record data. */
function matches(record: TlsaRecord, certificate: X509Certificate): boolean {
  const selected = record.selector === 0 ? certificate.raw : certificate.publicKey.export({ type: 'spki', format: 'der' });
  const value = record.matchingType === 0 ? selected : createHash(record.matchingType === 1 ? 'sha256' : 'sha512').update(selected).digest();
  return value.equals(record.data);
}

/**
 * Whether the chain (leaf first, DER) is authenticated by one of the usable records
 * for the MX host `names` (the TLSA base domain and the MX host name, RFC 7672 §3.2.2).
 * DANE-EE(3) authenticates the leaf's key alone: no name, expiry or chain (§3.1.1).
 * DANE-TA(2) needs the chain from the leaf up to the matching issuer to verify, every
 * certificate below that trust anchor to be within its validity dates at `now` (§3.1.2;
 * RFC 5280 §6.1.3), and the leaf to carry one of the names; the leaf itself is not a
 * trust anchor.
 */
export function authenticateChain(records: readonly TlsaRecord[], chainDer: readonly Buffer[], names: readonly string[], now: Date = new Date()): DaneVerdict {
  const chain = chainDer.map((der) => new X509Certificate(der));
  const leaf = chain[0];
  if (!leaf) return { authenticated: false, reason: 'no-certificate', problem: 'the server presented no certificate' };
  const usable = records.filter(isUsableTlsa);
  for (const record of usable.filter((candidate) => candidate.usage === 3)) {
    if (matches(record, leaf)) return { authenticated: true, match: { record, chainIndex: 0 } };
  }
  let taFailure: { reason: DaneFailure; problem: string } | null = null;
  for (const record of usable.filter((candidate) => candidate.usage === 2)) {
    const index = chain.findIndex((certificate, position) => position > 0 && matches(record, certificate));
    if (index < 0) continue;
    const belowAnchor = chain.slice(0, index);
    const broken = belowAnchor.findIndex((certificate, position) => !certificate.verify(chain[position + 1]!.publicKey));
    if (broken >= 0) {
      taFailure = { reason: 'ta-chain-broken', problem: `certificate ${broken} of the chain is not signed by the next one up to the DANE-TA trust anchor` };
      continue;
    }
    const outOfDate = belowAnchor.map((certificate, position) => ({ position, dates: datesProblem(certificate, now) })).find((entry) => entry.dates !== null);
    if (outOfDate) {
      taFailure = { reason: 'ta-out-of-date', problem: `certificate ${outOfDate.position} of the chain under the DANE-TA trust anchor ${outOfDate.dates}` };
      continue;
    }
    if (!names.some((name) => leaf.checkHost(name) !== undefined)) {
      taFailure = { reason: 'ta-name-mismatch', problem: `the DANE-TA chain matches but the certificate is not valid for ${names.join(' or ')}` };
      continue;
    }
    return { authenticated: true, match: { record, chainIndex: index } };
  }
  return { authenticated: false, ...(taFailure ?? { reason: 'no-match', problem: `none of the ${usable.length} usable TLSA records matches the certificate chain the server presented` }) };
}

/** Why `certificate` is not valid at `now`, or null when it is. */
function datesProblem(certificate: X509Certificate, now: Date): string | null {
  const from = new Date(certificate.validFrom);
  const to = new Date(certificate.validTo);
  if (now < from) return `is not valid before ${from.toISOString()}`;
  if (now > to) return `expired on ${to.toISOString()}`;
  return null;
}
