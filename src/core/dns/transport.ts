import dgram from 'node:dgram';
import net from 'node:net';

/** A resolver to ask: an IP address and a port (53 unless a lab says otherwise). */
export interface ResolverAddress {
  host: string;
  port: number;
}

export const formatResolver = (resolver: ResolverAddress): string => (net.isIPv6(resolver.host) ? `[${resolver.host}]:${resolver.port}` : `${resolver.host}:${resolver.port}`);

/**
 * What one query to one resolver over one transport came to. Only `response` carries
 * bytes; the others tell the retry loop (resolver.ts) whether another try can help.
 */
export type ExchangeOutcome =
  | { kind: 'response'; message: Buffer }
  | { kind: 'timeout' }
  /** Nothing listens (ICMP port unreachable, TCP refused) or no route: another try at this resolver will not help. */
  | { kind: 'unreachable'; code: string };

// The 2-byte length prefix of DNS over TCP bounds a message at 65535 bytes (RFC 1035
// §4.2.2); a peer that keeps sending after that is not answering our question.
const MAX_TCP_MESSAGE_BYTES = 65_535;

/** The 16-bit message id of a DNS message (RFC 1035 §4.1.1). */
const messageId = (message: Buffer): number => (message.length >= 2 ? message.readUInt16BE(0) : -1);

/**
 * One query over UDP. The socket is connected, so the kernel drops datagrams from any
 * other address and reports ICMP port-unreachable as ECONNREFUSED; datagrams with
 * another id are ignored as stray or spoofed (RFC 5452 §4.3), not taken as an answer.
 */
export function exchangeUdp(resolver: ResolverAddress, query: Buffer, timeoutMs: number): Promise<ExchangeOutcome> {
  const socket = dgram.createSocket(net.isIPv6(resolver.host) ? 'udp6' : 'udp4');
  const id = messageId(query);
  return new Promise<ExchangeOutcome>((resolve) => {
    const timer = setTimeout(() => finish({ kind: 'timeout' }), timeoutMs);
    const finish = (outcome: ExchangeOutcome): void => {
      clearTimeout(timer);
      socket.removeAllListeners('message');
      socket.on('error', () => {});
      socket.close();
      resolve(outcome);
    };
    socket.on('message', (message) => {
      if (messageId(message) === id) finish({ kind: 'response', message });
    });
    socket.on('error', (error: NodeJS.ErrnoException) => finish({ kind: 'unreachable', code: error.code ?? 'EUNKNOWN' }));
    socket.connect(resolver.port, resolver.host, () => socket.send(query));
  });
}

/** One query over TCP (RFC 7766), for answers that came back truncated over UDP. */
export function exchangeTcp(resolver: ResolverAddress, query: Buffer, timeoutMs: number): Promise<ExchangeOutcome> {
  return new Promise<ExchangeOutcome>((resolve) => {
    const socket = net.connect({ host: resolver.host, port: resolver.port });
    const chunks: Buffer[] = [];
    let received = 0;
    const timer = setTimeout(() => finish({ kind: 'timeout' }), timeoutMs);
    const finish = (outcome: ExchangeOutcome): void => {
      clearTimeout(timer);
      socket.removeAllListeners('data');
      socket.on('error', () => {});
      socket.destroy();
      resolve(outcome);
    };
    socket.on('connect', () => {
      const prefix = Buffer.alloc(2);
      prefix.writeUInt16BE(query.length);
      socket.write(Buffer.concat([prefix, query]));
    });
    socket.on('data', (chunk: Buffer) => {
      chunks.push(chunk);
      received += chunk.length;
      if (received > MAX_TCP_MESSAGE_BYTES + 2) return finish({ kind: 'response', message: Buffer.alloc(0) });
      const buffered = Buffer.concat(chunks);
      if (buffered.length < 2) return;
      const length = buffered.readUInt16BE(0);
      if (buffered.length >= 2 + length) finish({ kind: 'response', message: buffered.subarray(2, 2 + length) });
    });
    socket.on('end', () => finish({ kind: 'response', message: Buffer.alloc(0) }));
    socket.on('error', (error: NodeJS.ErrnoException) => finish({ kind: 'unreachable', code: error.code ?? 'EUNKNOWN' }));
  });
}
