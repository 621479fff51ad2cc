import type { TlsClientOptions } from '../core/tls-options.js';
import { TlsError } from '../core/errors.js';
import type { TlsSessionInfo } from '../core/tls-session.js';
import type { CheckContext } from './context.js';

/**
 * One handshake with the given client settings, the way the role does TLS (STARTTLS
 * on 25/587, implicit on 465). Returns null when the handshake fails: the server
 * does not offer what was asked.
 */
export async function tryHandshake(context: CheckContext, tlsOptions: Partial<TlsClientOptions>): Promise<TlsSessionInfo | null> {
  try {
    const session = await context.open('tls', { tlsOptions });
    const tls = session.tls;
    await context.done(session);
    return tls;
  } catch (error) {
    // A handshake this side's versions or ciphers cannot complete: "not accepted".
    if (error instanceof TlsError && (error.step !== 'starttls' || error.reason === 'tls-handshake' || error.reason === 'tls-session')) return null;
    throw error;
  }
}

/** The negotiated session of an ordinary handshake, for the certificate checks. */
export async function defaultTlsSession(context: CheckContext): Promise<TlsSessionInfo> {
  const session = await context.open('tls');
  const tls = session.tls!;
  await context.done(session);
  return tls;
}
