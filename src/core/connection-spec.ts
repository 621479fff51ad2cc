import type { TlsMode } from './establish.js';
import type { ProxyHeaderSpec } from './proxy-protocol.js';
import type { Socks5Proxy } from './socks5.js';
import type { Timeouts } from './timeouts.js';
import type { TlsClientOptions } from './tls-options.js';

/**
 * Where and how to connect (docs/connection.md): the server, the path to it (address
 * family, local address, a SOCKS5 proxy, a PROXY header), TLS, timeouts and the
 * client's name on the wire. Parsed once, from flags (src/options/connection-options.ts)
 * or a suite file, and carried whole to every session: a check target holds one, and
 * establishSession takes one with the session's own transcript. A new connection
 * option is a field here, its parser, and the place that uses it.
 */
export interface ConnectionSpec {
  host: string;
  port: number;
  /** 4 or 6 to force an address family (-4, -6); 0 lets the resolver choose. */
  family: 0 | 4 | 6;
  localAddress?: string;
  tlsMode: TlsMode;
  tls: TlsClientOptions;
  timeouts: Timeouts;
  /** Name sent with EHLO/HELO/LHLO. */
  heloName: string;
  protocol: 'smtp' | 'lmtp';
  /** A PROXY protocol header every session sends first (docs/connection.md#proxy-protocol). */
  proxyHeader?: ProxyHeaderSpec;
  /** A SOCKS5 server every session goes through (RFC 1928). */
  socks5?: Socks5Proxy;
  /** Put credentials into transcripts instead of their redacted form (--show-secrets; never from a suite file). */
  revealSecrets: boolean;
}
