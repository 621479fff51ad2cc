import { isIPv4, isIPv6 } from 'node:net';
import type net from 'node:net';
import { ConnectError } from './errors.js';
import { ipv4Octets, ipv6Octets } from './ip-octets.js';

/**
 * A SOCKS version 5 client (RFC 1928) with username/password authentication
 * (RFC 1929), so a test can run from the proxy's vantage point. The encoders and
 * the reply table are pure; socks5Connect drives them over a connected socket.
 */

export interface Socks5Proxy {
  host: string;
  port: number;
  /** RFC 1929 credentials; without them only "no authentication" is offered. */
  user?: string;
  password?: string;
}

/** RFC 1928 §3: the methods a client may offer. */
const NO_AUTHENTICATION = 0x00;
const USERNAME_PASSWORD = 0x02;
const NO_ACCEPTABLE_METHOD = 0xff;

/** RFC 1928 §6: what each reply code means. */
export const SOCKS5_REPLIES: Readonly<Record<number, string>> = {
  0x01: 'general SOCKS server failure',
  0x02: 'connection not allowed by ruleset',
  0x03: 'network unreachable',
  0x04: 'host unreachable',
  0x05: 'connection refused',
  0x06: 'TTL expired',
  0x07: 'command not supported',
  0x08: 'address type not supported',
};

/** RFC 1928 §3: version 5, the methods offered. */
export function socks5Greeting(proxy: Pick<Socks5Proxy, 'user'>): Buffer {
  return Buffer.from(proxy.user !== undefined ? [5, 2, NO_AUTHENTICATION, USERNAME_PASSWORD] : [5, 1, NO_AUTHENTICATION]);
}

/** RFC 1929 §2: version 1, then the user name and password, each at most 255 octets. */
export function socks5Authentication(user: string, password: string): Buffer {
  const name = Buffer.from(user, 'utf8');
  const secret = Buffer.from(password, 'utf8');
  if (name.length < 1 || name.length > 255 || secret.length < 1 || secret.length > 255) throw new RangeError('SOCKS5 user name and password must be 1 to 255 octets each (RFC 1929)');
  return Buffer.concat([Buffer.from([1, name.length]), name, Buffer.from([secret.length]), secret]);
}

/** RFC 1928 §4: CONNECT to an IPv4 or IPv6 address, or a name the proxy resolves. */
export function socks5ConnectRequest(host: string, port: number): Buffer {
  let address: Buffer;
  if (isIPv4(host)) address = Buffer.concat([Buffer.from([0x01]), ipv4Octets(host)]);
  else if (isIPv6(host)) address = Buffer.concat([Buffer.from([0x04]), ipv6Octets(host)]);
  else {
    const name = Buffer.from(host, 'ascii');
    if (name.length > 255) throw new RangeError('a host name for SOCKS5 has at most 255 octets');
    address = Buffer.concat([Buffer.from([0x03, name.length]), name]);
  }
  const portBytes = Buffer.alloc(2);
  portBytes.writeUInt16BE(port);
  return Buffer.concat([Buffer.from([5, 0x01, 0x00]), address, portBytes]);
}

/** The length of a §6 reply once its first five octets are in, or null until then. */
export function socks5ReplyLength(head: Buffer): number | null {
  if (head.length < 5) return null;
  switch (head[3]) {
    case 0x01:
      return 4 + 4 + 2;
    case 0x04:
      return 4 + 16 + 2;
    case 0x03:
      return 4 + 1 + head[4]! + 2;
    default:
      return 4 + 2;
  }
}

/**
 * Ask the SOCKS server on `socket` (connected) for a tunnel to host:port. Resolves
 * once the tunnel is up; every refusal is a ConnectError with its own reason. The
 * caller's connect deadline covers the whole exchange.
 */
export async function socks5Connect(socket: net.Socket, proxy: Socks5Proxy, host: string, port: number): Promise<void> {
  const reader = new ByteReader(socket);
  try {
    socket.write(socks5Greeting(proxy));
    const [version, method] = await reader.read(2);
    if (version !== 5) throw new ConnectError('socks-failed', `${proxy.host}:${proxy.port} is not a SOCKS5 server (it answered version ${version})`);
    if (method === NO_ACCEPTABLE_METHOD) throw new ConnectError('socks-auth', `the SOCKS5 server accepts none of the offered methods (${proxy.user !== undefined ? 'none, username/password' : 'none: it wants a user name and password'})`);
    if (method === USERNAME_PASSWORD) {
      if (proxy.user === undefined || proxy.password === undefined) throw new ConnectError('socks-auth', 'the SOCKS5 server wants a user name and password');
      socket.write(socks5Authentication(proxy.user, proxy.password));
      const [, status] = await reader.read(2);
      if (status !== 0) throw new ConnectError('socks-auth', `the SOCKS5 server refused user ${proxy.user} (RFC 1929 status ${status})`);
    } else if (method !== NO_AUTHENTICATION) throw new ConnectError('socks-failed', `the SOCKS5 server chose method ${method}, which was not offered`);
    socket.write(socks5ConnectRequest(host, port));
    const head = await reader.read(5);
    await reader.read(socks5ReplyLength(head)! - 5);
    if (head[1] !== 0) throw new ConnectError('socks-refused', `the SOCKS5 server could not connect to ${host}:${port}: ${SOCKS5_REPLIES[head[1]!] ?? `reply ${head[1]}`}`);
  } finally {
    reader.release();
  }
}

/** Exact-length reads from a socket during the handshake; nothing is read past the reply. */
class ByteReader {
  private buffered = Buffer.alloc(0);
  private waiting: { length: number; resolve: (bytes: Buffer) => void; reject: (error: Error) => void } | null = null;
  private ended = false;
  private readonly onData = (chunk: Buffer) => {
    this.buffered = Buffer.concat([this.buffered, chunk]);
    this.settle();
  };
  private readonly onEnd = () => {
    this.ended = true;
    this.settle();
  };

  constructor(private readonly socket: net.Socket) {
    socket.on('data', this.onData);
    socket.on('close', this.onEnd);
    socket.on('end', this.onEnd);
  }

  read(length: number): Promise<Buffer> {
    return new Promise((resolve, reject) => {
      this.waiting = { length, resolve, reject };
      this.settle();
    });
  }

  /**
   * Hand the socket back paused, with anything read past the last reply (the SMTP
   * greeting can arrive in the same segment) put back in front: the SMTP reader
   * resumes it when it first waits for a reply.
   */
  release(): void {
    this.socket.pause();
    if (this.buffered.length > 0) this.socket.unshift(this.buffered);
    this.socket.off('data', this.onData);
    this.socket.off('close', this.onEnd);
    this.socket.off('end', this.onEnd);
  }

  private settle(): void {
    const waiting = this.waiting;
    if (!waiting) return;
    if (this.buffered.length >= waiting.length) {
      this.waiting = null;
      const bytes = this.buffered.subarray(0, waiting.length);
      this.buffered = this.buffered.subarray(waiting.length);
      waiting.resolve(bytes);
    } else if (this.ended) {
      this.waiting = null;
      waiting.reject(new ConnectError('socks-failed', 'the SOCKS5 server closed the connection during the handshake'));
    }
  }
}
