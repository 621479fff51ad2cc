import { isIPv4, isIPv6 } from 'node:net';
import { ipv4Octets, ipv6Octets } from './ip-octets.js';

/**
 * The PROXY protocol header a load balancer puts before a connection's first byte,
 * so that the server behind it learns the real client (haproxy's
 * doc/proxy-protocol.txt, "The PROXY protocol", versions 1 and 2). Pure: the
 * connection writes what this returns.
 */

export interface ProxyEndpoint {
  address: string;
  port: number;
}

export interface ProxyHeaderSpec {
  version: 1 | 2;
  /** The client the header claims: what the server will take for the peer. */
  source: ProxyEndpoint;
  /** The address the client claims to have connected to. */
  destination: ProxyEndpoint;
}

/** proxy-protocol.txt §2.2: the 12 bytes that open every version 2 header. */
const V2_SIGNATURE = Buffer.from([0x0d, 0x0a, 0x0d, 0x0a, 0x00, 0x0d, 0x0a, 0x51, 0x55, 0x49, 0x54, 0x0a]);
/** §2.2: version 2 in the high nibble, command PROXY (0x1) in the low one. */
const V2_PROXY_COMMAND = 0x21;
/** §2.2: address family in the high nibble (1 AF_INET, 2 AF_INET6), transport STREAM (1) in the low one. */
const V2_TCP4 = 0x11;
const V2_TCP6 = 0x21;

/** 4 or 6 for an IP address, 0 for anything else (a host name cannot stand in a header). */
export function addressFamily(address: string): 0 | 4 | 6 {
  return isIPv4(address) ? 4 : isIPv6(address) ? 6 : 0;
}

/**
 * Why a header cannot be written, or null: both ends must be IP addresses of one
 * family (§2.1: "TCP4" or "TCP6" covers both addresses) with ports 0–65535.
 */
export function proxyHeaderProblem(spec: ProxyHeaderSpec): string | null {
  const source = addressFamily(spec.source.address);
  const destination = addressFamily(spec.destination.address);
  if (source === 0) return `${spec.source.address} is not an IP address`;
  if (destination === 0) return `${spec.destination.address} is not an IP address`;
  if (source !== destination) return `the source is IPv${source} and the destination IPv${destination}; a PROXY header carries one family`;
  for (const { port } of [spec.source, spec.destination]) if (!Number.isInteger(port) || port < 0 || port > 65535) return `${port} is not a port`;
  return null;
}

export function encodeProxyHeader(spec: ProxyHeaderSpec): Buffer {
  const problem = proxyHeaderProblem(spec);
  if (problem) throw new TypeError(`cannot encode a PROXY header: ${problem}`);
  const family = addressFamily(spec.source.address);
  const { source, destination } = spec;
  if (spec.version === 1) {
    // §2.1: "PROXY" SP ("TCP4" | "TCP6") SP src SP dst SP srcport SP dstport CRLF.
    return Buffer.from(`PROXY TCP${family} ${source.address} ${destination.address} ${source.port} ${destination.port}\r\n`, 'latin1');
  }
  const addresses = family === 4 ? Buffer.concat([ipv4Octets(source.address), ipv4Octets(destination.address)]) : Buffer.concat([ipv6Octets(source.address), ipv6Octets(destination.address)]);
  const ports = Buffer.alloc(4);
  ports.writeUInt16BE(source.port, 0);
  ports.writeUInt16BE(destination.port, 2);
  const head = Buffer.alloc(4);
  head[0] = V2_PROXY_COMMAND;
  head[1] = family === 4 ? V2_TCP4 : V2_TCP6;
  // §2.2: the length of what follows, in network byte order (12 for TCP4, 36 for TCP6).
  head.writeUInt16BE(addresses.length + ports.length, 2);
  return Buffer.concat([V2_SIGNATURE, head, addresses, ports]);
}

/** A one-line description for the transcript: version 1 is text already, version 2 is not. */
export function describeProxyHeader(spec: ProxyHeaderSpec): string {
  if (spec.version === 1) return encodeProxyHeader(spec).toString('latin1').trimEnd();
  const at = (endpoint: ProxyEndpoint) => (addressFamily(endpoint.address) === 6 ? `[${endpoint.address}]:${endpoint.port}` : `${endpoint.address}:${endpoint.port}`);
  return `PROXY v2 (binary, ${encodeProxyHeader(spec).length} bytes): ${at(spec.source)} -> ${at(spec.destination)}`;
}
