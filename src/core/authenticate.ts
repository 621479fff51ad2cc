import { AuthError } from './errors.js';
import { replySummary } from './reply.js';
import type { SaslMechanism } from './sasl.js';
import { chooseMechanism, findMechanism } from './sasl.js';
import type { AuthOutcome, SmtpSession } from './session.js';

export interface AuthRequest {
  user: string;
  secret: string;
  /** Mechanism name forced by --auth-mech; otherwise the strongest both sides support. */
  mechanism?: string;
  /** Permit credentials without TLS (--allow-plaintext-auth). */
  allowPlaintext?: boolean;
}

/** Pick the mechanism for a session, or explain why none can be used. */
export function selectMechanism(session: SmtpSession, request: Pick<AuthRequest, 'mechanism'>, usingToken = false): SaslMechanism {
  const offered = session.capabilities?.authMechanisms ?? [];
  if (request.mechanism) {
    const forced = findMechanism(request.mechanism);
    if (!forced) {
      throw new AuthError('auth-unknown-mechanism', `unknown AUTH mechanism ${request.mechanism}`);
    }
    if (!offered.includes(forced.name)) session.transcript.warn(`server does not advertise AUTH ${forced.name}; trying it anyway because it was asked for`);
    return forced;
  }
  if (offered.length === 0) {
    throw new AuthError('auth-not-offered', 'server does not offer AUTH here', { overTls: session.tls !== null });
  }
  const chosen = chooseMechanism(offered, usingToken);
  if (!chosen) throw new AuthError('auth-no-common-mechanism', `none of the offered mechanisms (${offered.join(' ')}) is supported by smtpcheck`);
  return chosen;
}

/**
 * AUTH under smtpcheck's rules: never a credential over plaintext unless the user
 * explicitly allowed it (RFC 4954 §4 and §14), and a refusal is an AuthError that
 * carries the server's reply.
 */
export async function authenticate(session: SmtpSession, request: AuthRequest): Promise<AuthOutcome> {
  if (!session.tls && !request.allowPlaintext) {
    throw new AuthError('auth-plaintext-refused', 'refusing to send credentials over an unencrypted connection');
  }
  const mechanism = selectMechanism(session, request, false);
  const outcome = await session.authenticate(mechanism, { user: request.user, secret: request.secret });
  if (!outcome.success) {
    throw new AuthError('auth-rejected', `authentication as ${request.user} failed: ${replySummary(outcome.reply)}`, { reply: outcome.reply, overTls: session.tls !== null });
  }
  // RFC 5802 §5: the server signature is the server's proof that it knows the
  // password; a 235 without a valid one is no proof that this is the real server.
  if (outcome.serverVerified === false) {
    throw new AuthError('auth-server-proof', `AUTH ${outcome.mechanism} as ${request.user}: the server answered 235 but its SCRAM server signature (v=) was missing or wrong (RFC 5802 §5)`, {
      reply: outcome.reply,
      overTls: session.tls !== null,
    });
  }
  return outcome;
}
