import { AuthError } from './errors.js';
import type { Reply } from './reply.js';
import { replyMessage, replySummary } from './reply.js';
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
    throw new AuthError(`authentication as ${request.user} failed: ${replySummary(outcome.reply)}`, authFailureHint(outcome.reply), outcome.reply);
  }
  // RFC 5802 §5: the server signature is the server's proof that it knows the
  // password; a 235 without a valid one is no proof that this is the real server.
  if (outcome.serverVerified === false) {
    throw new AuthError(
      `AUTH ${outcome.mechanism} as ${request.user}: the server answered 235 but its SCRAM server signature (v=) was missing or wrong (RFC 5802 §5)`,
      'the server does not prove it knows the password: it may be an impostor, or a broken SASL backend; do not trust this connection',
      outcome.reply,
    );
  }
  return outcome;
}

const WRONG_CREDENTIALS = 'wrong user name or password (check the full address as user name, e.g. john@example.org)';

interface AuthFailureRule {
  matches: (reply: Reply, text: string) => boolean;
  hint: string;
}

const hasEnhanced = (reply: Reply, code: string): boolean => reply.enhanced?.text === code;

/**
 * RFC 4954 §6 gives each kind of AUTH failure its own reply and enhanced code, and
 * servers add their own words: Postfix passes on Dovecot's or Cyrus SASL's reason
 * after "535 5.7.8 Error: authentication failed:". The first rule that matches wins,
 * so the specific ones come first: a 535 5.7.8 whose text names the mechanism is
 * not a wrong password.
 */
const AUTH_FAILURE_RULES: AuthFailureRule[] = [
  {
    // Dovecot: a mechanism missing from auth_mechanisms; Cyrus SASL: SASL_NOMECH.
    matches: (reply, text) => reply.code === 504 || hasEnhanced(reply, '5.5.4') || /invalid authentication mechanism|no mechanism available|mechanism (is )?not supported|unrecognized authentication type/i.test(text),
    hint: 'the server does not support this mechanism: drop --auth-mech to let smtpcheck pick one the server lists, or name another',
  },
  {
    // Dovecot: disable_plaintext_auth=yes on a connection it does not consider secure.
    matches: (reply, text) => reply.code === 538 || hasEnhanced(reply, '5.7.11') || /plaintext authentication disallowed|encryption required/i.test(text),
    hint: 'the server takes this mechanism only over an encrypted connection: use --tls or --tls-on-connect',
  },
  {
    // 530 answers AUTH when the server wants TLS first ("Must issue a STARTTLS command first").
    matches: (reply, text) => reply.code === 530 || /starttls (command )?first/i.test(text),
    hint: 'the server wants TLS before AUTH: use --tls (STARTTLS) or --tls-on-connect on port 465',
  },
  {
    matches: (reply) => reply.code === 432 || hasEnhanced(reply, '4.7.12'),
    hint: 'the server needs a password transition: log in once with PLAIN over TLS (--tls --auth-mech PLAIN) so it can store the password for this mechanism (RFC 4954 §6)',
  },
  {
    // Gmail answers 534 5.7.9 for accounts that need an app password.
    matches: (_reply, text) => /application-specific password|app password/i.test(text),
    hint: 'the provider wants an app password for SMTP, not the account password: create one in the account settings',
  },
  {
    matches: (reply) => reply.code === 534 || hasEnhanced(reply, '5.7.9'),
    hint: 'the server finds this mechanism too weak for this account: force a stronger one with --auth-mech (SCRAM-SHA-256, SCRAM-SHA-1, CRAM-MD5)',
  },
  {
    // Postfix + Cyrus SASL when saslauthd cannot check passwords at all.
    matches: (reply, text) => reply.code === 454 || reply.code === 451 || hasEnhanced(reply, '4.7.0') || /temporary authentication failure|generic failure/i.test(text),
    hint: "the server's authentication backend failed, not necessarily the password (Postfix: Dovecot's auth socket, or Cyrus saslauthd not running?); see the server log",
  },
  {
    matches: (reply) => reply.code === 503,
    hint: 'the server does not allow AUTH in this state (already authenticated, in a transaction, or AUTH disabled without TLS)',
  },
  {
    // Microsoft 365: 535 5.7.139 with one of these texts.
    matches: (_reply, text) => /smtpclientauthentication is disabled|basic authentication is disabled/i.test(text),
    hint: 'the provider has switched off password logins over SMTP for this account (Microsoft 365: enable Authenticated SMTP for the mailbox, or use OAuth with --auth-mech XOAUTH2)',
  },
  {
    // Postfix repeats the last LOGIN challenge as the reason: base64 of "Password:".
    matches: (_reply, text) => /\bUGFzc3dvcmQ6\b/.test(text),
    hint: `${WRONG_CREDENTIALS}; "UGFzc3dvcmQ6" is base64 for "Password:", the LOGIN step at which the server gave up`,
  },
  {
    matches: (_reply, text) => /\bVXNlcm5hbWU6\b/.test(text),
    hint: 'the server gave up at the user-name step of LOGIN ("VXNlcm5hbWU6" is base64 for "Username:"): it did not take the user name as sent; see its log',
  },
  {
    matches: (reply) => reply.code === 535 && (reply.enhanced === null || hasEnhanced(reply, '5.7.8')),
    hint: WRONG_CREDENTIALS,
  },
  {
    matches: (reply) => reply.code === 535,
    hint: `the server refused the login; often ${WRONG_CREDENTIALS}, but its enhanced code is not RFC 4954's 5.7.8: read its text and log`,
  },
];

/** The one-sentence hint for a refused AUTH, chosen from the reply's code, enhanced code and text. */
export function authFailureHint(reply: Reply): string {
  const text = replyMessage(reply);
  return AUTH_FAILURE_RULES.find((rule) => rule.matches(reply, text))?.hint ?? 'see the server reply and its log';
}
