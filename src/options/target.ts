import { isIP } from 'node:net';
import { hostname } from 'node:os';
import { UsageError } from '../core/errors.js';

export interface Target {
  host: string;
  port: number;
}

/**
 * "--server" accepts `host`, `host:port`, `[v6]:port`, `[v6]` and a bare IPv6
 * address; --port wins over a port in --server only when the server gave none.
 */
export function parseServer(server: string, explicitPort: number | undefined, defaultPort: number): Target {
  const text = server.trim();
  if (text === '') throw new UsageError('--server is empty', 'give a host name or address, e.g. --server mail.example.org:587');
  let host = text;
  let port: number | undefined;
  const bracketed = /^\[([^\]]+)\](?::(\d+))?$/.exec(text);
  if (bracketed) {
    host = bracketed[1]!;
    port = bracketed[2] === undefined ? undefined : parsePort(bracketed[2], '--server');
  } else if (isIP(text) === 6) {
    host = text;
  } else if (text.includes(':')) {
    const colon = text.lastIndexOf(':');
    host = text.slice(0, colon);
    port = parsePort(text.slice(colon + 1), '--server');
    if (host.includes(':')) throw new UsageError(`cannot tell host from port in --server ${text}`, 'write IPv6 addresses in brackets: --server [2001:db8::1]:25');
  }
  if (!host || /[\s/]/.test(host)) throw new UsageError(`--server host is not valid: ${JSON.stringify(host)}`, 'give a host name or IP address, e.g. --server mail.example.org');
  if (port !== undefined && explicitPort !== undefined && port !== explicitPort) {
    throw new UsageError(`--server says port ${port} but --port says ${explicitPort}`, 'give the port once');
  }
  return { host, port: port ?? explicitPort ?? defaultPort };
}

export function parsePort(text: string, flag: string): number {
  const port = Number(text);
  if (!/^\d+$/.test(text) || port < 1 || port > 65535) throw new UsageError(`${flag}: ${JSON.stringify(text)} is not a port number`, 'use a number from 1 to 65535');
  return port;
}

/** A name for EHLO that passes reject_non_fqdn_helo_hostname: the host name if it is a FQDN. */
export function defaultHeloName(): string {
  const name = hostname();
  return name.includes('.') ? name : `${name || 'smtpcheck'}.localdomain`;
}
