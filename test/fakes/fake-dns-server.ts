import dnsPacket from 'dns-packet';
import { listenDns } from '../../src/lab/dns-listener.js';

/**
 * A scripted DNS server on loopback, UDP and TCP on one port, for the resolver's unit
 * tests: the script sees each query and the transport it came over and returns the
 * responses to send in order (packets or raw bytes), or null for silence.
 */
type DnsResponse = dnsPacket.Packet | Buffer;
export type DnsScript = (query: dnsPacket.DecodedPacket, transport: 'udp' | 'tcp') => DnsResponse | DnsResponse[] | null;

export interface FakeDnsServer {
  port: number;
  /** Every query received, in order, with its transport. */
  queries: { query: dnsPacket.DecodedPacket; transport: 'udp' | 'tcp' }[];
  close(): Promise<void>;
}

export async function startFakeDnsServer(script: DnsScript): Promise<FakeDnsServer> {
  const queries: FakeDnsServer['queries'] = [];
  const listener = await listenDns('127.0.0.1', 0, (message, transport) => {
    const query = dnsPacket.decode(message);
    queries.push({ query, transport });
    const responses = script(query, transport) ?? [];
    return (Array.isArray(responses) ? responses : [responses]).map((response) => (Buffer.isBuffer(response) ? response : dnsPacket.encode(response)));
  });
  return { port: listener.port, queries, close: () => listener.close() };
}

/** A response to `query` with these answers and flags (QR and RD/RA always set); rcode in the low bits of flags. */
export function reply(query: dnsPacket.DecodedPacket, answers: dnsPacket.Answer[], options: { ad?: boolean; tc?: boolean; rcode?: number } = {}): dnsPacket.Packet {
  const flags = dnsPacket.RECURSION_DESIRED | dnsPacket.RECURSION_AVAILABLE | (options.ad ? dnsPacket.AUTHENTIC_DATA : 0) | (options.tc ? dnsPacket.TRUNCATED_RESPONSE : 0) | (options.rcode ?? 0);
  return { type: 'response', id: query.id, flags, questions: query.questions, answers };
}
