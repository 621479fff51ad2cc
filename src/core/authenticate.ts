import { AuthError } from './errors.js';
import { replySummary } from './reply.js';
import type { SaslMechanism } from './sasl.js';
import { chooseMechanism, findMechanism, SASL_MECHANISMS } from './sasl.js';
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
      throw new AuthError(`unknown AUTH mechanism ${request.mechanism}`, `smtpcheck supports ${SASL_MECHANISMS.map((m) => m.name).join(', ')}`);
    }
    if (!offered.includes(forced.name)) session.transcript.warn(`server does not advertise AUTH ${forced.name}; trying it anyway because --auth-mech asked for it`);
    return forced;
  }
  if (offered.length === 0) {
    throw new AuthError(
      'server does not offer AUTH here',
      session.tls ? 'enable SASL on this port (Postfix: smtpd_sasl_auth_enable=yes); submission belongs on 587 or 465' : 'many servers offer AUTH only after STARTTLS: add --tls (or --tls-on-connect on port 465)',
    );
  }
  const chosen = chooseMechanism(offered, usingToken);
  if (!chosen) throw new AuthError(`none of the offered mechanisms (${offered.join(' ')}) is supported by smtpcheck`, 'force one with --auth-mech NAME');
  return chosen;
}

/**
 * AUTH under smtpcheck's rules: never a credential over plaintext unless the user
 * explicitly allowed it (RFC 4954 §4 and §14), and a refusal is an AuthError that
 * carries the server's reply.
 */
export async function authenticate(session: SmtpSession, request: AuthRequest): Promise<AuthOutcome> {
  if (!session.tls && !request.allowPlaintext) {
    throw new AuthError(
      'refusing to send credentials over an unencrypted connection',
      'use --tls (STARTTLS) or --tls-on-connect; --allow-plaintext-auth sends them in the clear if you really mean to',
    );
  }
  const mechanism = selectMechanism(session, request, false);
  const outcome = await session.authenticate(mechanism, { user: request.user, secret: request.secret });
  if (!outcome.success) {
    const reply = outcome.reply;
    const hint =
      reply.code === 535
        ? 'wrong user name or password (check the full address as user name, e.g. john@example.org)'
        : reply.code === 454 || reply.code === 451
          ? 'temporary failure in the server\'s authentication backend (Dovecot auth socket?); see the server log'
          : reply.code === 503
            ? 'the server does not allow AUTH in this state (already authenticated, in a transaction, or AUTH disabled without TLS)'
            : reply.code === 504
              ? 'the server does not support this mechanism; try another with --auth-mech'
              : reply.code === 534 || reply.code === 538
                ? 'the server wants a stronger mechanism or an encrypted connection'
                : 'see the server reply and its log';
    throw new AuthError(`authentication as ${request.user} failed: ${replySummary(reply)}`, hint, reply);
  }
  if (outcome.serverVerified === false) session.transcript.warn(`SCRAM server signature did not verify: the server may not know ${request.user}'s password (or is an impostor)`);
  return outcome;
}
