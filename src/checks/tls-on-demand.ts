import type { SmtpSession } from '../core/session.js';
import type { CheckContext, SessionTls } from './context.js';

/** What an attempt returns when the server demands TLS first (530, RFC 3207 §4) and can give it. */
export const NEEDS_TLS = 'needs-tls';

/**
 * Run `attempt` on a session of its own, and again inside TLS when it says the server
 * demands TLS first: an MX that answers 530 to MAIL (or to VRFY) in plaintext refuses
 * plaintext, which says nothing about what it does once TLS is up. `canStartTls` tells
 * the attempt whether a 530 can still be answered with STARTTLS (plaintext, and
 * STARTTLS listed); inside TLS a 530 is the answer. Returns the TLS it ended with.
 * Every probe that may meet such an MX goes through here: the relay probes and
 * groups, relay-control, and the VRFY/EXPN enumeration.
 */
export async function attemptInSession<T>(context: CheckContext, tls: SessionTls, attempt: (session: SmtpSession, canStartTls: boolean) => Promise<T | typeof NEEDS_TLS>): Promise<{ result: T; tls: SessionTls }> {
  const session = await context.open(tls);
  let outcome: T | typeof NEEDS_TLS;
  try {
    outcome = await attempt(session, tls === 'none' && (session.capabilities?.startTls ?? false));
  } finally {
    await context.done(session);
  }
  return outcome === NEEDS_TLS ? attemptInSession(context, 'tls', attempt) : { result: outcome, tls };
}
