import { randomInt } from 'node:crypto';
import dnsPacket from 'dns-packet';
import type { DnsFailureReason } from '../errors.js';
import { DnsError } from '../errors.js';
import type { ExchangeOutcome, ResolverAddress } from './transport.js';
import { exchangeTcp, exchangeUdp, formatResolver } from './transport.js';

/**
 * A stub resolver that asks a validating resolver and trusts its AD bit, as Postfix
 * does with smtp_dns_support_level = dnssec. node:dns cannot be used: it does not let
 * us set the DO bit nor read the AD bit of the answer (docs/domain.md#dnssec).
 */

/** The record data smtpcheck reads, by type. */
export interface RecordData {
  A: string;
  AAAA: string;
  CNAME: string;
  MX: { preference: number; exchange: string };
  /** The character-strings of one TXT record, concatenated (RFC 8461 §3.1, RFC 8460 §3). */
  TXT: string;
  TLSA: TlsaRecord;
}
export type DnsRecordType = keyof RecordData;

/** RFC 6698 §2.1. */
export interface TlsaRecord {
  usage: number;
  selector: number;
  matchingType: number;
  data: Buffer;
}

export interface DnsAnswer<T extends DnsRecordType> {
  name: string;
  type: T;
  /** `nxdomain`: the name does not exist; `nodata`: it exists but has no record of this type. */
  status: 'records' | 'nxdomain' | 'nodata';
  records: RecordData[T][];
  /** The resolver set AD: it validated the answer with DNSSEC (RFC 4035 §3.2.3, RFC 6840 §5.8). */
  authenticated: boolean;
  /** The CNAMEs followed from `name`, in order; the last is the owner of the records. */
  cnames: string[];
  /** The resolver that answered, as host:port. */
  resolver: string;
  /** `tcp` when the UDP answer came back truncated and was asked again over TCP (RFC 7766). */
  transport: 'udp' | 'tcp';
}

export interface DnsResolverOptions {
  resolvers: readonly ResolverAddress[];
  /** How long to wait for one answer from one resolver. */
  timeoutMs?: number;
  /** Tries per resolver over UDP before the next resolver is asked. */
  attempts?: number;
}

// glibc's resolv.conf defaults are 5 s and 2 attempts; a mail domain's answers are
// small and a local validating resolver answers in milliseconds, so 3 s is generous.
export const DEFAULT_DNS_TIMEOUT_MS = 3000;
export const DEFAULT_DNS_ATTEMPTS = 2;
// The EDNS buffer size the DNS Flag Day 2020 settled on: answers over it come back
// truncated and are fetched over TCP rather than risk IP fragmentation.
const EDNS_UDP_PAYLOAD_BYTES = 1232;
// No mail domain needs more records than this in one answer (an MX set, a TLSA
// rollover, a few TXT records); more is a misconfigured or hostile zone and would
// multiply the targets smtpcheck connects to.
export const MAX_ANSWER_RECORDS = 100;
// Longer CNAME chains than this are misconfiguration or a loop; resolvers stop too.
export const MAX_CNAME_CHAIN = 8;

// RFC 1035 §4.1.1 and RFC 6895 §2.3.
const RCODE = { noError: 0, formErr: 1, servFail: 2, nxDomain: 3, notImp: 4, refused: 5 } as const;

const sameName = (a: string, b: string): boolean => canonicalName(a) === canonicalName(b);
/** A domain name compared and shown without the trailing dot, in lower case. */
export const canonicalName = (name: string): string => name.replace(/\.$/, '').toLowerCase();

interface ParsedResponse {
  rcode: number;
  packet: dnsPacket.DecodedPacket;
}

export class DnsResolver {
  readonly resolvers: readonly ResolverAddress[];
  readonly timeoutMs: number;
  readonly attempts: number;

  constructor(options: DnsResolverOptions) {
    if (options.resolvers.length === 0) throw new Error('DnsResolver needs at least one resolver');
    this.resolvers = options.resolvers;
    this.timeoutMs = options.timeoutMs ?? DEFAULT_DNS_TIMEOUT_MS;
    this.attempts = options.attempts ?? DEFAULT_DNS_ATTEMPTS;
  }

  /**
   * Looks `name` up and follows the CNAME chain in the answer. NXDOMAIN and NODATA are
   * answers; a resolver that does not answer, refuses or fails (SERVFAIL) is a DnsError,
   * and the caller decides what a SERVFAIL means (in a signed zone: bogus).
   */
  async lookup<T extends DnsRecordType>(name: string, type: T): Promise<DnsAnswer<T>> {
    const query = { name: canonicalName(name), type, resolvers: this.resolvers.map(formatResolver) };
    const { rcode, packet, resolver, transport } = await this.ask(query);
    const answers = packet.answers ?? [];
    const cnames: string[] = [];
    let owner = query.name;
    const seen = new Set([owner]);
    for (;;) {
      const alias = type === 'CNAME' ? undefined : answers.find((answer) => answer.type === 'CNAME' && sameName(answer.name, owner));
      if (!alias) break;
      const target = canonicalName((alias as dnsPacket.StringAnswer).data);
      if (seen.has(target) || cnames.length >= MAX_CNAME_CHAIN) {
        throw new DnsError('dns-cname-loop', `the CNAME chain of ${query.name} ${seen.has(target) ? `loops back to ${target}` : `is longer than ${MAX_CNAME_CHAIN} names`}`, query);
      }
      seen.add(target);
      cnames.push(target);
      owner = target;
    }
    const records = answers.filter((answer) => answer.type === type && sameName(answer.name, owner)).map((answer) => recordData(type, answer));
    const status = records.length > 0 ? 'records' : rcode === RCODE.nxDomain ? 'nxdomain' : 'nodata';
    return { name: query.name, type, status, records, authenticated: packet.flag_ad, cnames, resolver, transport };
  }

  /** Asks each resolver in turn, with retries, until one answers NOERROR, NXDOMAIN or SERVFAIL. */
  private async ask(query: { name: string; type: DnsRecordType; resolvers: string[] }): Promise<ParsedResponse & { resolver: string; transport: 'udp' | 'tcp' }> {
    let failure: { reason: DnsFailureReason; message: string } | undefined;
    for (const resolver of this.resolvers) {
      const label = formatResolver(resolver);
      const id = randomInt(0, 0x10000);
      const message = dnsPacket.encode({
        type: 'query',
        id,
        flags: dnsPacket.RECURSION_DESIRED | dnsPacket.AUTHENTIC_DATA,
        questions: [{ name: query.name, type: query.type, class: 'IN' }],
        additionals: [{ type: 'OPT', name: '.', udpPayloadSize: EDNS_UDP_PAYLOAD_BYTES, extendedRcode: 0, ednsVersion: 0, flags: dnsPacket.DNSSEC_OK, flag_do: true, options: [] }],
      });
      let outcome: ExchangeOutcome = { kind: 'timeout' };
      for (let attempt = 0; attempt < this.attempts && outcome.kind === 'timeout'; attempt++) outcome = await exchangeUdp(resolver, message, this.timeoutMs);
      if (outcome.kind === 'timeout') {
        failure = { reason: 'dns-timeout', message: `resolver ${label} did not answer ${query.type} ${query.name} within ${seconds(this.timeoutMs)} (${this.attempts} ${this.attempts === 1 ? 'try' : 'tries'})` };
        continue;
      }
      if (outcome.kind === 'unreachable') {
        failure = { reason: 'dns-unreachable', message: `resolver ${label} cannot be reached (${outcome.code})` };
        continue;
      }
      let response = parseResponse(outcome.message, id, query, label);
      const transport = response.packet.flag_tc ? 'tcp' : 'udp';
      if (response.packet.flag_tc) {
        const overTcp = await exchangeTcp(resolver, message, this.timeoutMs);
        if (overTcp.kind !== 'response') {
          throw new DnsError('dns-truncated', `the answer of ${label} to ${query.type} ${query.name} was truncated and the TCP fallback failed (${overTcp.kind === 'timeout' ? `no answer within ${seconds(this.timeoutMs)}` : overTcp.code})`, query);
        }
        response = parseResponse(overTcp.message, id, query, label);
        if (response.packet.flag_tc) throw new DnsError('dns-truncated', `the answer of ${label} to ${query.type} ${query.name} is truncated even over TCP`, query);
      }
      switch (response.rcode) {
        case RCODE.noError:
        case RCODE.nxDomain:
          return { ...response, resolver: label, transport };
        case RCODE.servFail:
          // Final: asking a non-validating resolver next could turn "bogus" into "unsigned".
          throw new DnsError('dns-servfail', `resolver ${label} answered SERVFAIL to ${query.type} ${query.name}`, query);
        default:
          failure = { reason: 'dns-refused', message: `resolver ${label} answered ${rcodeName(response.rcode)} to ${query.type} ${query.name}` };
      }
    }
    const last = failure ?? { reason: 'dns-timeout' as const, message: 'no resolver answered' };
    const others = this.resolvers.length > 1 ? ` (no other of ${query.resolvers.join(', ')} answered either)` : '';
    throw new DnsError(last.reason, `${last.message}${others}`, query);
  }
}

function parseResponse(message: Buffer, id: number, query: { name: string; type: DnsRecordType; resolvers: string[] }, label: string): ParsedResponse {
  // The header's answer count (RFC 1035 §4.1.1) is read before decoding, so a huge
  // answer is refused without building thousands of records.
  if (message.length >= 12 && message.readUInt16BE(6) > MAX_ANSWER_RECORDS) {
    throw new DnsError('dns-oversized', `resolver ${label} sent ${message.readUInt16BE(6)} records for ${query.type} ${query.name} (smtpcheck reads at most ${MAX_ANSWER_RECORDS})`, query);
  }
  let packet: dnsPacket.DecodedPacket;
  try {
    packet = dnsPacket.decode(message);
  } catch {
    throw new DnsError('dns-malformed', `resolver ${label} sent an answer to ${query.type} ${query.name} that does not parse`, query);
  }
  const question = packet.questions?.[0];
  if (packet.id !== id || !packet.flag_qr || !question || !sameName(question.name, query.name) || question.type !== query.type) {
    throw new DnsError('dns-malformed', `resolver ${label} sent an answer that does not match the question ${query.type} ${query.name}`, query);
  }
  return { rcode: message.readUInt8(3) & 0x0f, packet };
}

function recordData<T extends DnsRecordType>(type: T, answer: dnsPacket.Answer): RecordData[T] {
  const data = (answer as { data: unknown }).data;
  switch (type) {
    case 'TXT':
      return (Array.isArray(data) ? data : [data]).map((part: string | Buffer) => part.toString()).join('') as RecordData[T];
    case 'TLSA': {
      const tlsa = data as dnsPacket.TlsaData;
      return { usage: tlsa.usage, selector: tlsa.selector, matchingType: tlsa.matchingType, data: tlsa.certificate } as RecordData[T];
    }
    case 'MX': {
      const mx = data as dnsPacket.MxData;
      return { preference: mx.preference ?? 0, exchange: canonicalName(mx.exchange) } as RecordData[T];
    }
    case 'CNAME':
      return canonicalName(data as string) as RecordData[T];
    default:
      return data as RecordData[T];
  }
}

function rcodeName(rcode: number): string {
  const names: Record<number, string> = { [RCODE.formErr]: 'FORMERR', [RCODE.notImp]: 'NOTIMP', [RCODE.refused]: 'REFUSED' };
  return names[rcode] ?? `RCODE ${rcode}`;
}

const seconds = (ms: number): string => (ms % 1000 === 0 ? `${ms / 1000} s` : `${(ms / 1000).toFixed(1)} s`);
