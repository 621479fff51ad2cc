import type { ProxyEndpoint, ProxyHeaderSpec } from '../core/proxy-protocol.js';
import { addressFamily, proxyHeaderProblem } from '../core/proxy-protocol.js';
import { UsageError } from '../core/errors.js';
import { parsePort } from './target.js';

/** The flags of a PROXY protocol header (docs/connection.md#proxy-protocol). */
export interface ProxyFlags {
  proxyProtocol?: string;
  proxySource?: string;
  proxyDest?: string;
}

/**
 * The header --proxy-protocol asks for, checked before connecting: both ends IP
 * addresses of one family with a port. The destination defaults to the server
 * itself when --server is an IP address.
 */
export function proxyHeaderFrom(flags: ProxyFlags, server: { host: string; port: number }): ProxyHeaderSpec | undefined {
  if (flags.proxyProtocol === undefined) {
    if (flags.proxySource !== undefined || flags.proxyDest !== undefined) throw new UsageError('--proxy-source and --proxy-dest need --proxy-protocol', 'add --proxy-protocol v1 or --proxy-protocol v2');
    return undefined;
  }
  const version = { v1: 1, '1': 1, v2: 2, '2': 2 }[flags.proxyProtocol.toLowerCase()] as 1 | 2 | undefined;
  if (version === undefined) throw new UsageError(`--proxy-protocol ${flags.proxyProtocol} is not a version`, 'use --proxy-protocol v1 (text) or v2 (binary)');
  if (flags.proxySource === undefined) throw new UsageError('--proxy-protocol needs --proxy-source IP:PORT', 'name the client the header claims, e.g. --proxy-source 192.0.2.7:40000');
  const source = endpoint(flags.proxySource, '--proxy-source');
  let destination: ProxyEndpoint;
  if (flags.proxyDest !== undefined) destination = endpoint(flags.proxyDest, '--proxy-dest');
  else if (addressFamily(server.host) !== 0) destination = { address: server.host, port: server.port };
  else throw new UsageError('--proxy-protocol needs --proxy-dest IP:PORT when --server is a host name', 'give the address the balancer listens on, e.g. --proxy-dest 198.51.100.25:25');
  const spec: ProxyHeaderSpec = { version, source, destination };
  const problem = proxyHeaderProblem(spec);
  if (problem) throw new UsageError(`--proxy-source/--proxy-dest: ${problem}`, 'give both as IPv4 (192.0.2.7:40000) or both as IPv6 ([2001:db8::7]:40000)');
  return spec;
}

/** "IP:PORT" or "[IPv6]:PORT". */
function endpoint(text: string, flag: string): ProxyEndpoint {
  const match = /^\[([^\]]+)\]:(\d+)$/.exec(text) ?? /^([^:[\]]+):(\d+)$/.exec(text);
  if (!match || addressFamily(match[1]!) === 0) throw new UsageError(`${flag} ${JSON.stringify(text)} is not IP:PORT`, `write ${flag} 192.0.2.7:40000, or [2001:db8::7]:40000 for IPv6`);
  return { address: match[1]!, port: parsePort(match[2]!, flag) };
}
