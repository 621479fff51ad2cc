import dgram from 'node:dgram';
import { once } from 'node:events';
import net from 'node:net';

/**
 * A DNS listener on one address and port, UDP and TCP (RFC 1035 §4.2, RFC 7766): it
 * frames messages and hands each to `respond`, which returns the messages to send
 * back (none for silence). The embedded lab's zone (embedded-dns.ts) and the scripted
 * fake DNS servers of the tests both answer through it.
 */
export type DnsResponder = (message: Buffer, transport: 'udp' | 'tcp') => Buffer[];

export interface DnsListener {
  port: number;
  close(): Promise<void>;
}

/** Listens on host:port (0: a free port, the same for UDP and TCP). */
export async function listenDns(host: string, port: number, respond: DnsResponder): Promise<DnsListener> {
  for (;;) {
    const udp = dgram.createSocket(net.isIPv6(host) ? 'udp6' : 'udp4');
    udp.bind(port, host);
    await once(udp, 'listening');
    const bound = udp.address().port;
    const tcp = net.createServer();
    tcp.listen(bound, host);
    try {
      await once(tcp, 'listening');
    } catch (error) {
      udp.close();
      if (port !== 0) throw error;
      continue; // the TCP port of that number was taken: try another free one
    }
    return serve(udp, tcp, bound, respond);
  }
}

function serve(udp: dgram.Socket, tcp: net.Server, port: number, respond: DnsResponder): DnsListener {
  const sockets = new Set<net.Socket>();
  udp.on('message', (message, peer) => {
    for (const response of respond(message, 'udp')) udp.send(response, peer.port, peer.address);
  });
  tcp.on('connection', (socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => undefined);
    let buffered = Buffer.alloc(0);
    socket.on('data', (chunk: Buffer) => {
      buffered = Buffer.concat([buffered, chunk]);
      while (buffered.length >= 2 && buffered.length >= 2 + buffered.readUInt16BE(0)) {
        const message = buffered.subarray(2, 2 + buffered.readUInt16BE(0));
        buffered = buffered.subarray(2 + message.length);
        for (const response of respond(message, 'tcp')) {
          const prefix = Buffer.alloc(2);
          prefix.writeUInt16BE(response.length);
          socket.write(Buffer.concat([prefix, response]));
        }
      }
    });
  });
  return {
    port,
    close: async () => {
      for (const socket of sockets) socket.destroy();
      udp.close();
      await new Promise<void>((resolve) => tcp.close(() => resolve()));
    },
  };
}
