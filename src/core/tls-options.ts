import { readFileSync } from 'node:fs';
import net from 'node:net';
import type tls from 'node:tls';
import { UsageError } from './errors.js';

/** What a client connection asks of TLS (docs/connection.md#tls-modes): trust, names, versions, ciphers, a client certificate. */
export interface TlsClientOptions {
  /** PEM file(s) of extra trust anchors, replacing the system roots (as openssl -CAfile does). */
  caFile?: string;
  caPem?: string;
  /** Name to send as SNI and to check the certificate against; default: the host unless it is an IP. */
  servername?: string;
  /** Continue when verification fails; the failure is still reported. */
  insecure?: boolean;
  minVersion?: tls.SecureVersion;
  maxVersion?: tls.SecureVersion;
  ciphers?: string;
  certFile?: string;
  keyFile?: string;
}

export function sniName(host: string, options: TlsClientOptions): string | null {
  const name = options.servername ?? host;
  // RFC 6066 §3: literal IP addresses are not permitted in SNI.
  return net.isIP(name) ? null : name;
}

/** Node's TLS options for a connection to `host`: verification is ours, after the handshake. */
export function secureContextOptions(host: string, options: TlsClientOptions): tls.ConnectionOptions {
  const servername = sniName(host, options);
  const ca = options.caPem ?? (options.caFile ? readTlsFile(options.caFile, 'CA') : undefined);
  return {
    ...(servername ? { servername } : {}),
    ...(ca ? { ca } : {}),
    ...(options.minVersion ? { minVersion: options.minVersion } : {}),
    ...(options.maxVersion ? { maxVersion: options.maxVersion } : {}),
    // Node's floor is TLS 1.2: a lower --tls-max alone would leave no version to offer.
    ...(options.maxVersion && !options.minVersion && (options.maxVersion === 'TLSv1' || options.maxVersion === 'TLSv1.1') ? { minVersion: 'TLSv1' as const } : {}),
    ...(options.ciphers ? { ciphers: options.ciphers } : {}),
    ...(options.certFile ? { cert: readTlsFile(options.certFile, 'client certificate') } : {}),
    ...(options.keyFile ? { key: readTlsFile(options.keyFile, 'client key') } : {}),
    // Verification is done after the handshake (describeTlsSession) so that a failure
    // can be reported in full, and --insecure can continue past it.
    rejectUnauthorized: false,
    checkServerIdentity: () => undefined,
  };
}

/** A PEM file TLS needs; `what` names it in the error (the file's path says where it came from). */
function readTlsFile(path: string, what: string): Buffer {
  try {
    return readFileSync(path);
  } catch (error) {
    throw new UsageError(`cannot read the ${what} file ${path}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`, 'check the path and that the file is readable');
  }
}
