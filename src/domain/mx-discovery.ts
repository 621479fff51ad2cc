import { isIP } from 'node:net';
import type { DnsAnswer, DnsRecordType, DnsResolver } from '../core/dns/resolver.js';
import { DnsError } from '../core/errors.js';

/**
 * From a domain to its mail servers (RFC 5321 §5.1): the MX records in preference
 * order, each host's A then AAAA addresses in the resolver's order; no MX means the
 * implicit MX (the domain's own addresses); a Null MX (RFC 7505) means no mail.
 */

export interface MxHost {
  host: string;
  preference: number;
  /** The CNAMEs the host name led to (an MX must name a host, not an alias: RFC 5321 §5.1). */
  cnames: string[];
  /** A addresses first, then AAAA, each in the resolver's order. */
  addresses: string[];
  /** An address lookup came back SERVFAIL: bogus in a signed zone. */
  bogus: boolean;
  /** Both address answers validated. */
  authenticated: boolean;
}

export type MxDiscovery =
  | { kind: 'mx'; authenticated: boolean; hosts: MxHost[]; ipLiterals: string[]; evidence: string[] }
  | { kind: 'implicit'; authenticated: boolean; hosts: MxHost[]; evidence: string[] }
  | { kind: 'null-mx'; authenticated: boolean; evidence: string[] }
  | { kind: 'nxdomain'; authenticated: boolean; evidence: string[] }
  /** The MX answer was SERVFAIL: bogus; never a fallback to the implicit MX. */
  | { kind: 'bogus'; error: DnsError; evidence: string[] };

export const isBogus = (error: unknown): error is DnsError => error instanceof DnsError && error.reason === 'dns-servfail';

/** One line of evidence for a DNS answer, e.g. `MX good.test: 10 mx1.good.test (validated, AD) via 127.0.0.1:53`. */
export function describeAnswer<T extends DnsRecordType>(answer: DnsAnswer<T>, show: (record: DnsAnswer<T>['records'][number]) => string): string {
  const chain = answer.cnames.length > 0 ? ` (CNAME ${answer.cnames.join(' → ')})` : '';
  const found = answer.status === 'records' ? answer.records.map(show).join(', ') : answer.status.toUpperCase();
  return `${answer.type} ${answer.name}${chain}: ${found} [${answer.authenticated ? 'validated (AD)' : 'not validated'}, via ${answer.resolver}${answer.transport === 'tcp' ? ' over TCP' : ''}]`;
}

export async function discoverMx(resolver: DnsResolver, domain: string): Promise<MxDiscovery> {
  let answer: DnsAnswer<'MX'>;
  try {
    answer = await resolver.lookup(domain, 'MX');
  } catch (error) {
    if (isBogus(error)) return { kind: 'bogus', error, evidence: [`MX ${domain}: ${error.message}`] };
    throw error;
  }
  const evidence = [describeAnswer(answer, (mx) => `${mx.preference} ${mx.exchange || '.'}`)];
  if (answer.status === 'nxdomain') return { kind: 'nxdomain', authenticated: answer.authenticated, evidence };
  if (answer.status === 'nodata') {
    const own = await resolveHost(resolver, domain, 0, evidence);
    return { kind: 'implicit', authenticated: answer.authenticated, hosts: [own], evidence };
  }
  // RFC 7505 §3: a Null MX is the single record "0 ."; with others beside it, it is
  // ignored, as senders do.
  if (answer.records.length === 1 && answer.records[0]!.exchange === '') return { kind: 'null-mx', authenticated: answer.authenticated, evidence };
  const ordered = answer.records.filter((mx) => mx.exchange !== '').map((mx, index) => ({ mx, index }));
  ordered.sort((a, b) => a.mx.preference - b.mx.preference || a.index - b.index);
  const ipLiterals = ordered.filter(({ mx }) => isIP(mx.exchange) !== 0).map(({ mx }) => mx.exchange);
  const named = ordered.filter(({ mx }) => isIP(mx.exchange) === 0);
  const hosts = await Promise.all(named.map(({ mx }) => resolveHost(resolver, mx.exchange, mx.preference, evidence)));
  return { kind: 'mx', authenticated: answer.authenticated, hosts, ipLiterals, evidence };
}

async function resolveHost(resolver: DnsResolver, host: string, preference: number, evidence: string[]): Promise<MxHost> {
  const [a, aaaa] = await Promise.all([lookupAddresses(resolver, host, 'A'), lookupAddresses(resolver, host, 'AAAA')]);
  evidence.push(a.line, aaaa.line);
  return {
    host,
    preference,
    cnames: a.answer?.cnames ?? aaaa.answer?.cnames ?? [],
    addresses: [...(a.answer?.records ?? []), ...(aaaa.answer?.records ?? [])],
    bogus: a.bogus || aaaa.bogus,
    authenticated: (a.answer?.authenticated ?? false) && (aaaa.answer?.authenticated ?? false),
  };
}

async function lookupAddresses(resolver: DnsResolver, host: string, type: 'A' | 'AAAA'): Promise<{ answer: DnsAnswer<'A' | 'AAAA'> | null; bogus: boolean; line: string }> {
  try {
    const answer = await resolver.lookup(host, type);
    return { answer, bogus: false, line: describeAnswer(answer, String) };
  } catch (error) {
    if (isBogus(error)) return { answer: null, bogus: true, line: `${type} ${host}: ${error.message} (bogus)` };
    throw error;
  }
}
