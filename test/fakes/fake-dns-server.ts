import dgram from 'node:dgram';
import { once } from 'node:events';
import net from 'node:net';
import dnsPacket from 'dns-packet';

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
  for (;;) {
    const udp = dgram.createSocket('udp4');
    udp.bind(0, '127.0.0.1');
    await once(udp, 'listening');
    const port = udp.address().port;
    const tcp = net.createServer();
    tcp.listen(port, '127.0.0.1');
    try {
      await once(tcp, 'listening');
    } catch {
      udp.close();
      continue; // the TCP port of that number was taken: try another
    }
    return serve(udp, tcp, port, script);
  }
}

function serve(udp: dgram.Socket, tcp: net.Server, port: number, script: DnsScript): FakeDnsServer {
  const queries: FakeDnsServer['queries'] = [];
  const sockets = new Set<net.Socket>();
  const respond = (message: Buffer, transport: 'udp' | 'tcp'): Buffer[] => {
    const query = dnsPacket.decode(message);
    queries.push({ query, transport });
    const responses = script(query, transport) ?? [];
    return (Array.isArray(responses) ? responses : [responses]).map((response) => (Buffer.isBuffer(response) ? response : dnsPacket.encode(response)));
  };
  udp.on('message', (message, peer) => {
    for (const response of respond(message, 'udp')) udp.send(response, peer.port, peer.address);
  });
  tcp.on('connection', (socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    let buffered = Buffer.alloc(0);
    socket.on('data', (chunk: Buffer) => {
      buffered = Buffer.concat([buffered, chunk]);
      if (buffered.length < 2 || buffered.length < 2 + buffered.readUInt16BE(0)) return;
      const responses = respond(buffered.subarray(2, 2 + buffered.readUInt16BE(0)), 'tcp');
      buffered = Buffer.alloc(0);
      for (const response of responses) {
        const prefix = Buffer.alloc(2);
        prefix.writeUInt16BE(response.length);
        socket.write(Buffer.concat([prefix, response]));
      }
    });
  });
  return {
    port,
    queries,
    close: async () => {
      for (const socket of sockets) socket.destroy();
      udp.close();
      await new Promise<void>((resolve) => tcp.close(() => resolve()));
    },
  };
}

/** A response to `query` with these answers and flags (QR and RD/RA always set); rcode in the low bits of flags. */
export function reply(query: dnsPacket.DecodedPacket, answers: dnsPacket.Answer[], options: { ad?: boolean; tc?: boolean; rcode?: number } = {}): dnsPacket.Packet {
  const flags = dnsPacket.RECURSION_DESIRED | dnsPacket.RECURSION_AVAILABLE | (options.ad ? dnsPacket.AUTHENTIC_DATA : 0) | (options.tc ? dnsPacket.TRUNCATED_RESPONSE : 0) | (options.rcode ?? 0);
  return { type: 'response', id: query.id, flags, questions: query.questions, answers };
}
