import type { SmtpCheckError } from '../core/errors.js';
import { AuthError, ConnectError, DnsError, ProtocolError, ReplyError, TimeoutError, TlsError, UsageError, XclientError } from '../core/errors.js';
import type { Reply } from '../core/reply.js';
import { replyMessage } from '../core/reply.js';
import { SASL_MECHANISMS } from '../core/sasl.js';

/**
 * The one sentence that tells the user what to do about an error: chosen from its
 * typed reason, step, reply and facts, never from our own message text, so core can
 * reword a message without changing advice or exit code (docs/exit-codes.md). The
 * only module that names flags in advice about a failure.
 */
export function hintFor(error: SmtpCheckError): string | undefined {
  if (error instanceof UsageError) return error.hint;
  if (error instanceof ConnectError) return CONNECT_HINTS[error.reason];
  if (error instanceof TlsError) return tlsHint(error);
  if (error instanceof AuthError) return authHint(error);
  if (error instanceof ReplyError) return refusalHint(error);
  if (error instanceof XclientError) return XCLIENT_HINTS[error.reason];
  if (error instanceof TimeoutError) {
    // The classic cause of a silent greeting: a plaintext client on an implicit-TLS
    // port, where the server waits for a ClientHello.
    if (error.step === 'greeting' && error.plaintext) return 'if this is an implicit-TLS port (465), add --tls-on-connect; otherwise the server is overloaded or tarpitting';
    return 'the server is slow or not speaking SMTP on this port; raise the limit with --timeout SECONDS or check the port';
  }
  if (error instanceof ProtocolError) return protocolHint(error);
  if (error instanceof DnsError) return DNS_HINTS[error.reason];
  return undefined;
}

const CONNECT_HINTS: Record<ConnectError['reason'], string> = {
  'connect-refused': 'nothing listens there: check the port and that the mail server is running',
  'connect-timeout': 'check the host, the port and any firewall in between',
  'name-not-resolved': 'check the host name, or give an IP address',
  unreachable: 'check the address and your network route (try -4 or -6)',
  'local-address': 'check --local-address',
  'connect-reset': 'a firewall or the server dropped the connection',
  'connect-failed': 'check the host and port',
  'socks-refused': 'the SOCKS5 server could not reach the mail server, or its rules forbid it: check the target from the proxy\'s side and its rules (dante: socks pass)',
  'socks-auth': 'give the SOCKS5 user with --socks5-user and its password in SMTPCHECK_SOCKS5_PASSWORD or --socks5-password-file',
  'socks-failed': 'check that --socks5 names a SOCKS version 5 server',
  'address-not-allowed': 'the DNS sends this run outside --only-addresses (or SMTPCHECK_ONLY_ADDRESSES): fix the records if the address is wrong, or widen the ranges if it is yours',
  'proxy-refused': 'this port does not take a PROXY header from you: drop --proxy-protocol, or go through the balancer it trusts (Postfix: smtpd_upstream_proxy_protocol); check --proxy-protocol v1 or v2',
};

const XCLIENT_HINTS: Record<XclientError['reason'], string> = {
  'xclient-not-offered': 'the server does not trust this client with XCLIENT: connect from a host in its smtpd_authorized_xclient_hosts (see --local-address), or drop --xclient',
  'xclient-attribute-not-offered': 'send only the attributes the server lists after XCLIENT in its EHLO answer',
  'xclient-refused': 'the server refused XCLIENT; its reply says why (Postfix: 550 5.7.0 for an unauthorized client, 501 for a bad attribute)',
};

const DNS_HINTS: Record<DnsError['reason'], string> = {
  'dns-timeout': 'check that the resolver runs and is reachable, or name another with --resolver IP[:PORT]',
  'dns-refused': 'the resolver does not answer for you: name one that does with --resolver IP[:PORT]',
  'dns-servfail': 'the resolver could not get a valid answer: in a signed zone the DNSSEC signatures are probably broken (bogus); check the zone with a DNSSEC debugger',
  'dns-malformed': 'the resolver sent an answer that does not parse or does not match the question; try another --resolver',
  'dns-truncated': 'the answer did not fit over UDP and the TCP fallback failed: allow DNS over TCP to the resolver',
  'dns-cname-loop': 'fix the CNAME records of the zone: the chain loops or is too long',
  'dns-oversized': 'no sane mail domain needs an answer this large; check the zone',
  'dns-unreachable': 'check the resolver address and your network route',
};

function tlsHint(error: TlsError): string | undefined {
  switch (error.reason) {
    case 'starttls-not-offered':
      return 'enable TLS on the server (Postfix: smtpd_tls_security_level=may plus a certificate; Exim: tls_advertise_hosts and tls_certificate), or use --tls-optional to allow plaintext';
    case 'starttls-refused':
      return error.reply?.code === 454
        ? 'the server cannot start TLS now (often an unreadable certificate or key); see its log'
        : 'the server does not support STARTTLS; enable it (Postfix: smtpd_tls_security_level=may and a certificate; Exim: tls_advertise_hosts)';
    case 'injection':
      return 'something between you and the server injects SMTP replies; do not trust this path (or report the server bug: it must send nothing after 220)';
    case 'tls-certificate':
      return error.cause === 'name-mismatch'
        ? 'connect with the name on the certificate (--tls-servername NAME) or fix the certificate; --insecure continues anyway'
        : 'give the issuing CA with --tls-ca FILE, install a publicly trusted certificate, or use --insecure to continue anyway';
    case 'tls-session':
      return error.cause === 'client-certificate-required'
        ? 'the server demands a client certificate: give --tls-cert and --tls-key'
        : 'the server sent a TLS alert or data that does not decrypt: something in between may be tampering with the stream, or the server broke off the session (see its log)';
    case 'tls-handshake':
      switch (error.cause) {
        case 'timed-out':
          return error.implicit
            ? 'check that the port speaks implicit TLS (465) or drop --tls-on-connect'
            : 'the server accepted STARTTLS but never completed the handshake; check its TLS configuration and logs';
        case 'closed':
          return 'check the server log: its TLS setup (certificate, key, protocols) is probably broken';
        case 'not-tls':
          return 'the server did not answer with TLS: for STARTTLS ports use --tls, for implicit-TLS ports (465) use --tls-on-connect';
        case 'no-common-version':
          return 'the server only offers old TLS versions; to probe them anyway try --tls-min TLSv1 --tls-ciphers DEFAULT@SECLEVEL=0';
        case 'client-certificate-required':
          return 'the server demands a client certificate: give --tls-cert and --tls-key';
        default:
          return 'check that both sides share a TLS version and cipher (see --tls-min, --tls-max, --tls-ciphers)';
      }
  }
}

function authHint(error: AuthError): string | undefined {
  switch (error.reason) {
    case 'auth-not-offered':
      return error.overTls
        ? 'enable SASL on this port (Postfix: smtpd_sasl_auth_enable=yes; Exim: an authenticator and auth_advertise_hosts); submission belongs on 587 or 465'
        : 'many servers offer AUTH only after STARTTLS: add --tls (or --tls-on-connect on port 465)';
    case 'auth-unknown-mechanism':
      return `smtpcheck supports ${SASL_MECHANISMS.map((m) => m.name).join(', ')}`;
    case 'auth-no-common-mechanism':
      return 'force one with --auth-mech NAME';
    case 'auth-plaintext-refused':
      return 'use --tls (STARTTLS) or --tls-on-connect; --allow-plaintext-auth sends them in the clear if you really mean to';
    case 'auth-rejected':
      return error.reply ? authFailureHint(error.reply) : 'see the server reply and its log';
    case 'auth-server-proof':
      return 'the server does not prove it knows the password: it may be an impostor, or a broken SASL backend; do not trust this connection';
    case 'auth-exchange':
      return 'the server is broken, or the mechanism cannot be used with it; try another --auth-mech';
  }
}

function refusalHint(error: ReplyError): string | undefined {
  const reply = error.reply;
  switch (error.step) {
    case 'greeting':
      return reply.code === 554 ? 'the server refuses service to this client (RFC 5321 §3.1); check its client restrictions or blocklists' : 'the server is not ready; try again later or check its log';
    case 'helo':
      return 'the server refused both EHLO and HELO; check its HELO restrictions';
    case 'ehlo':
      if (error.verb === 'LHLO') return 'the server refused LHLO: check that this port speaks LMTP (RFC 2033), or drop --protocol lmtp for SMTP';
      return reply.code === 421 ? 'the server is closing the connection; check its log' : 'the server refused EHLO; check smtpd_helo_restrictions (Exim: acl_smtp_helo) or try --helo with a real FQDN';
    case 'mail':
      return senderHint(reply);
    case 'rcpt':
      return recipientHint(reply);
    case 'data':
    case 'bdat':
      return 'the server refused the message; its reply says why';
    default:
      return undefined;
  }
}

function senderHint(reply: Reply): string {
  if (reply.code === 530) return 'the server wants TLS and/or AUTH first: add --tls and --auth-user';
  if (reply.code === 553 || reply.code === 550) return 'the server refuses this sender; if you are logged in, the address may not belong to your login (smtpd_sender_login_maps)';
  if (reply.code === 552) return 'the message is larger than the server accepts (message_size_limit)';
  return 'see the server reply and its log';
}

// The server's words only pick the advice here; the exit code is the same whatever they say.
function recipientHint(reply: Reply): string {
  const text = reply.lines.join(' ');
  if (/relay access denied|relay not permitted/i.test(text)) return 'the server does not relay for you: authenticate (--auth-user) on the submission port, or send to a local domain';
  if (/not owned by user/i.test(text)) return 'the sender address does not belong to your login (Postfix reject_sender_login_mismatch): use your own address';
  if (/not logged in/i.test(text)) return 'log in first: add --auth-user';
  if (/user unknown/i.test(text)) return 'no such mailbox on this server';
  if (reply.code === 530) return 'the server wants TLS and/or AUTH first: add --tls and --auth-user';
  return 'see the server reply and its log';
}

function protocolHint(error: ProtocolError): string {
  switch (error.reason) {
    case 'closed-by-server':
      return 'see the server log for why it hung up';
    case 'reset':
      return 'the server reset the connection; see its log';
    case 'closed-by-client':
      return 'the session was already closed';
    case 'malformed-reply':
      return error.step === 'auth'
        ? 'the server is broken; try another --auth-mech'
        : 'an SMTP reply line starts with a 3-digit code and a space or hyphen; check that this port speaks SMTP (implicit TLS ports need --tls-on-connect), or something between you rewrites its replies';
    case 'oversized-reply':
      return 'no honest SMTP reply is this long; this is not an SMTP server, or it is broken or hostile';
    case 'unsolicited-reply':
      return error.reply?.code === 421
        ? 'the server closed the conversation; see its log for why (often a timeout or too many errors)'
        : 'it would be taken as the answer to the next command; the server is broken, or something in between injects replies';
  }
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
