import type { SmtpStep, TlsCause } from './errors.js';
import { ConnectError, TlsError } from './errors.js';

/**
 * Socket and OpenSSL failures translated into typed errors (docs/architecture.md#errors):
 * a reason the CLI maps to words and an exit code, and a TLS cause where the advice
 * differs. The decisions use Node's error codes and OpenSSL's reason identifiers.
 */

export function isTlsLayerError(error: NodeJS.ErrnoException): boolean {
  return typeof error.code === 'string' && (error.code.startsWith('ERR_SSL') || error.code.startsWith('ERR_TLS') || error.code === 'EPROTO');
}

/**
 * OpenSSL's reason for a failed TLS operation, as its stable identifier ("WRONG_VERSION_NUMBER"):
 * Node puts it in `code` as ERR_SSL_<REASON>, or, for EPROTO from the socket layer, only
 * in the library's message ("…:SSL routines:ssl3_get_record:wrong version number").
 */
export function opensslReason(error: NodeJS.ErrnoException): string | undefined {
  if (error.code?.startsWith('ERR_SSL_')) return error.code.slice('ERR_SSL_'.length);
  const reason = (error as { reason?: unknown }).reason;
  const text = typeof reason === 'string' ? reason : /SSL routines:[^:]*:([^:\n]+)/.exec(error.message)?.[1];
  return text?.trim().toUpperCase().replace(/[^A-Z0-9]+/g, '_');
}

// Reasons after which the advice differs (OpenSSL's ssl_err.c names).
const NOT_TLS = new Set(['WRONG_VERSION_NUMBER', 'PACKET_LENGTH_TOO_LONG', 'HTTP_REQUEST', 'HTTPS_PROXY_REQUEST', 'RECORD_LENGTH_MISMATCH']);
const NO_COMMON_VERSION = new Set(['UNSUPPORTED_PROTOCOL', 'NO_PROTOCOLS_AVAILABLE', 'VERSION_TOO_LOW', 'LEGACY_SIGALG_DISALLOWED_OR_UNSUPPORTED']);
const CLIENT_CERTIFICATE_REQUIRED = new Set(['TLSV13_ALERT_CERTIFICATE_REQUIRED']);
// The alerts of a TLS server that read a PROXY header as the first TLS record.
export const HEADER_READ_AS_TLS = new Set(['SSLV3_ALERT_UNEXPECTED_MESSAGE', 'TLSV1_ALERT_DECODE_ERROR']);

function tlsCause(reason: string | undefined): TlsCause {
  if (!reason) return 'other';
  if (NOT_TLS.has(reason)) return 'not-tls';
  if (CLIENT_CERTIFICATE_REQUIRED.has(reason)) return 'client-certificate-required';
  if (NO_COMMON_VERSION.has(reason)) return 'no-common-version';
  return 'other';
}

export function tlsHandshakeError(error: NodeJS.ErrnoException, step: SmtpStep): TlsError {
  const reason = opensslReason(error);
  const described = error.code === 'EPROTO' || !error.code ? (error.message.split('\n')[0] ?? 'handshake failed') : `${error.code}: ${error.message.split('\n')[0]}`;
  return new TlsError(step, 'tls-handshake', `TLS handshake failed: ${described}`, { cause: tlsCause(reason), implicit: step === 'tls' });
}

/** A TLS failure once the session is up: an alert from the server or records that do not decrypt. */
export function tlsSessionError(error: NodeJS.ErrnoException, step: SmtpStep, where: string): TlsError {
  const openssl = /SSL routines:[^:]*:([^:]+)/.exec(error.message)?.[1];
  const described = error.code && error.code !== 'EPROTO' ? `${error.code}${openssl ? ` (${openssl})` : ''}` : (openssl ?? error.message.split('\n')[0] ?? 'TLS error');
  // TLS 1.3: the client finishes its handshake before the server has judged the client certificate.
  return new TlsError(step, 'tls-session', `TLS error after the handshake ${where}: ${described}`, { cause: tlsCause(opensslReason(error)) });
}

/** A failed TCP connect, to the server or (`via`) to the SOCKS5 proxy in front of it, which the words then name. */
export function connectError(host: string, port: number, error: NodeJS.ErrnoException, via: 'server' | 'socks5' = 'server'): ConnectError {
  const where = `${via === 'socks5' ? 'the SOCKS5 server ' : ''}${host}:${port}`;
  switch (error.code) {
    case 'ECONNREFUSED':
      return new ConnectError('connect-refused', `connection to ${where} refused`, error.code);
    case 'ENOTFOUND':
    case 'EAI_AGAIN':
      return new ConnectError('name-not-resolved', `cannot resolve ${via === 'socks5' ? 'the SOCKS5 server' : 'host'} ${host}`, error.code);
    case 'EHOSTUNREACH':
    case 'ENETUNREACH':
      return new ConnectError('unreachable', `${where} is unreachable`, error.code);
    case 'EADDRNOTAVAIL':
      return new ConnectError('local-address', `cannot use that local address to reach ${where}`, error.code);
    case 'ECONNRESET':
      return new ConnectError('connect-reset', `connection to ${where} reset`, error.code);
    default:
      return new ConnectError('connect-failed', `cannot connect to ${where}: ${error.code ?? error.message}`, error.code);
  }
}
