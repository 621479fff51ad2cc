import type { Reply } from './reply.js';
import { replySummary } from './reply.js';

/**
 * The step of the SMTP conversation at which something went wrong. Every error
 * carries one, so the CLI can say "timed out waiting for the reply to DATA" without
 * guessing.
 */
export type SmtpStep =
  | 'connect'
  | 'greeting'
  | 'ehlo'
  | 'helo'
  | 'starttls'
  | 'tls'
  | 'xclient'
  | 'auth'
  | 'mail'
  | 'rcpt'
  | 'data'
  | 'bdat'
  | 'command'
  | 'quit'
  /** A DNS lookup (smtpcheck domain), before any SMTP. */
  | 'dns';

/**
 * Why something failed, as a type the callers decide on (a check skips a port without
 * STARTTLS, a version probe counts a failed handshake as "not accepted", the CLI picks
 * the exit code and the hint): never the message text, which is for people and may be
 * reworded. src/cli/error-report.ts turns a reason (with its step and reply) into the
 * hint and the exit code (docs/exit-codes.md).
 */
export type ErrorReason =
  /** Bad flags or values from the user; nothing was sent. */
  | 'usage'
  /** A `check --config` suite that does not parse or validate; nothing was sent. */
  | 'bad-config'
  /** Nothing listens on the port (ECONNREFUSED). */
  | 'connect-refused'
  /** The TCP connection was not set up in time. */
  | 'connect-timeout'
  /** The host name does not resolve. */
  | 'name-not-resolved'
  /** No route to the address. */
  | 'unreachable'
  /** The local address (--local-address) cannot be used. */
  | 'local-address'
  /** Reset while connecting, or any other connect failure. */
  | 'connect-reset'
  | 'connect-failed'
  /** The server hung up on the PROXY protocol header, or greeted and then answered it as a command. */
  | 'proxy-refused'
  /** The SOCKS5 server could not or would not open the tunnel (RFC 1928 §6 reply). */
  | 'socks-refused'
  /** The SOCKS5 server wants credentials it did not get, or refused them (RFC 1929). */
  | 'socks-auth'
  /** The SOCKS5 handshake broke: not a SOCKS5 server, or it hung up. */
  | 'socks-failed'
  /** DNS named an address outside the ranges the run may contact (docs/domain.md#address-guard); nothing was contacted. */
  | 'address-not-allowed'
  /** The server answered 4yz/5yz where the step needed a 2yz (or 3yz). */
  | 'refused'
  /** The server does not list STARTTLS and TLS was required. */
  | 'starttls-not-offered'
  /** STARTTLS was answered with something other than 220. */
  | 'starttls-refused'
  /** The handshake failed, timed out or was cut off. */
  | 'tls-handshake'
  /** A TLS error once the session was up (an alert, records that do not decrypt). */
  | 'tls-session'
  /** The certificate did not verify and verification was required. */
  | 'tls-certificate'
  /** Plaintext followed the 220 to STARTTLS (RFC 3207 §5). */
  | 'injection'
  /** The server does not list XCLIENT to this client (Postfix: smtpd_authorized_xclient_hosts). */
  | 'xclient-not-offered'
  /** The server lists XCLIENT, but not every attribute asked for. */
  | 'xclient-attribute-not-offered'
  /** XCLIENT was answered with something other than 220. */
  | 'xclient-refused'
  /** The server lists no AUTH here. */
  | 'auth-not-offered'
  /** The user named a mechanism smtpcheck does not know. */
  | 'auth-unknown-mechanism'
  /** The server offers only mechanisms smtpcheck does not implement. */
  | 'auth-no-common-mechanism'
  /** Credentials would have gone out without TLS, and the user did not allow that. */
  | 'auth-plaintext-refused'
  /** The server refused the login (RFC 4954 §6). */
  | 'auth-rejected'
  /** A SCRAM server signature was missing or wrong (RFC 5802 §5). */
  | 'auth-server-proof'
  /** The exchange itself broke: endless challenges, a challenge that does not decode, a mechanism that gave up. */
  | 'auth-exchange'
  /** No complete reply within the step's timeout. */
  | 'timeout'
  /** The server closed the connection. */
  | 'closed-by-server'
  /** The connection was reset. */
  | 'reset'
  /** We closed the connection (QUIT sent, or the session was destroyed). */
  | 'closed-by-client'
  /** A reply line that is not SMTP (RFC 5321 §4.2), or codes mixed in one reply. */
  | 'malformed-reply'
  /** A reply over the reader's bounds (docs/security.md). */
  | 'oversized-reply'
  /** A reply no command asked for, or a flood of them. */
  | 'unsolicited-reply'
  /** The user stopped the wait (Ctrl-C). */
  | 'interrupted'
  | DnsFailureReason;

/**
 * Why a DNS lookup gave no answer to judge (src/core/dns/). NXDOMAIN and NODATA are
 * answers, not errors; a SERVFAIL from a validating resolver is how a bogus (DNSSEC
 * failed) answer looks to a stub, so callers decide what it means.
 */
export type DnsFailureReason =
  /** No resolver answered within its timeout, after its retries. */
  | 'dns-timeout'
  /** The resolver answered REFUSED (it does not serve us, or not this name). */
  | 'dns-refused'
  /** The resolver answered SERVFAIL: bogus DNSSEC, or it could not reach the zone. */
  | 'dns-servfail'
  /** An answer that does not parse or does not answer our question. */
  | 'dns-malformed'
  /** Still truncated over TCP, or the TCP fallback failed. */
  | 'dns-truncated'
  /** A CNAME chain that loops or is longer than smtpcheck follows. */
  | 'dns-cname-loop'
  /** An answer over smtpcheck's bounds (docs/security.md). */
  | 'dns-oversized'
  /** The resolver's address cannot be reached (no route, refused on TCP). */
  | 'dns-unreachable';

export abstract class SmtpCheckError extends Error {
  abstract readonly reason: ErrorReason;
  readonly step: SmtpStep;

  constructor(step: SmtpStep, message: string) {
    super(message);
    this.name = new.target.name;
    this.step = step;
  }
}

/**
 * Wrong flags or values given by the user; nothing was sent. The only error that
 * carries its own hint: the words belong to whatever validated the input, which
 * knows what it expected.
 */
export class UsageError extends SmtpCheckError {
  readonly reason: 'usage' | 'bad-config';
  /** One sentence telling the user what to do about it. */
  readonly hint: string | undefined;
  constructor(message: string, hint?: string, reason: 'usage' | 'bad-config' = 'usage') {
    super('connect', message);
    this.hint = hint;
    this.reason = reason;
  }
}

export type ConnectFailureReason = 'connect-refused' | 'connect-timeout' | 'name-not-resolved' | 'unreachable' | 'local-address' | 'connect-reset' | 'connect-failed' | 'proxy-refused' | 'socks-refused' | 'socks-auth' | 'socks-failed' | 'address-not-allowed';

export class ConnectError extends SmtpCheckError {
  readonly reason: ConnectFailureReason;
  /** The system's error code (ECONNREFUSED …), when there is one. */
  readonly code: string | undefined;
  constructor(reason: ConnectFailureReason, message: string, code?: string) {
    super('connect', message);
    this.reason = reason;
    this.code = code;
  }
}

export type TlsFailureReason = 'starttls-not-offered' | 'starttls-refused' | 'tls-handshake' | 'tls-session' | 'tls-certificate' | 'injection';

/**
 * What the TLS library said about a failed handshake or session, reduced to what
 * changes the advice (decided on OpenSSL's error codes in core/connection.ts).
 */
export type TlsCause =
  /** The peer did not answer with TLS at all (a plaintext port, an HTTP server). */
  | 'not-tls'
  /** No TLS version or cipher in common (old server, or limits the user set). */
  | 'no-common-version'
  /** The server wants a client certificate. */
  | 'client-certificate-required'
  /** The handshake did not finish in time. */
  | 'timed-out'
  /** The server closed the connection during the handshake. */
  | 'closed'
  /** The certificate verified but not for the name asked for. */
  | 'name-mismatch'
  /** The certificate's chain did not verify. */
  | 'untrusted'
  | 'other';

export class TlsError extends SmtpCheckError {
  readonly reason: TlsFailureReason;
  readonly cause: TlsCause;
  /** TLS from the first byte (--tls-on-connect), not STARTTLS. */
  readonly implicit: boolean;
  readonly reply: Reply | undefined;
  constructor(step: SmtpStep, reason: TlsFailureReason, message: string, options: { cause?: TlsCause; implicit?: boolean; reply?: Reply } = {}) {
    super(step, message);
    this.reason = reason;
    this.cause = options.cause ?? 'other';
    this.implicit = options.implicit ?? false;
    this.reply = options.reply;
  }
}

/**
 * Plaintext bytes arrived after the server's "220" to STARTTLS and before the TLS
 * handshake: a man in the middle may be injecting replies (RFC 3207 §5,
 * "Buffering/B_1" in the NO STARTTLS study). They are never parsed.
 */
export class StartTlsInjectionError extends TlsError {
  readonly injectedBytes: number;
  constructor(injectedBytes: number) {
    super('starttls', 'injection', `response injection: ${injectedBytes} plaintext byte(s) followed the STARTTLS 220 before the TLS handshake`);
    this.injectedBytes = injectedBytes;
  }
}

export type XclientFailureReason = 'xclient-not-offered' | 'xclient-attribute-not-offered' | 'xclient-refused';

/** XCLIENT could not be used: not listed, an attribute not listed (nothing sent then), or refused. */
export class XclientError extends SmtpCheckError {
  readonly reason: XclientFailureReason;
  readonly reply: Reply | undefined;
  constructor(reason: XclientFailureReason, message: string, reply?: Reply) {
    super('xclient', message);
    this.reason = reason;
    this.reply = reply;
  }
}

export type AuthFailureReason = 'auth-not-offered' | 'auth-unknown-mechanism' | 'auth-no-common-mechanism' | 'auth-plaintext-refused' | 'auth-rejected' | 'auth-server-proof' | 'auth-exchange';

export class AuthError extends SmtpCheckError {
  readonly reason: AuthFailureReason;
  readonly reply: Reply | undefined;
  /** Whether the session was encrypted when AUTH failed (the advice differs). */
  readonly overTls: boolean;
  constructor(reason: AuthFailureReason, message: string, options: { reply?: Reply; overTls?: boolean } = {}) {
    super('auth', message);
    this.reason = reason;
    this.reply = options.reply;
    this.overTls = options.overTls ?? false;
  }
}

/** The server answered, but said no (4xx/5xx) where the step needed a yes. */
export class ReplyError extends SmtpCheckError {
  readonly reason = 'refused';
  readonly reply: Reply;
  /** The command as the user knows it (LHLO for step ehlo on LMTP). */
  readonly verb: string;
  constructor(step: SmtpStep, reply: Reply, verb: string = step.toUpperCase()) {
    super(step, `${verb} refused: ${replySummary(reply)}`);
    this.reply = reply;
    this.verb = verb;
  }
}

/**
 * How a connection ended that nobody ended on purpose, for callers that report it at
 * the step that found it dead: `idle` when no reply was awaited at the time.
 */
export interface ConnectionLoss {
  how: 'closed-by-server' | 'reset';
  idle: boolean;
}

export type ProtocolFailureReason = 'closed-by-server' | 'reset' | 'closed-by-client' | 'malformed-reply' | 'oversized-reply' | 'unsolicited-reply';

/** The server broke the protocol: malformed or oversized replies, an unexpected close. */
export class ProtocolError extends SmtpCheckError {
  readonly reason: ProtocolFailureReason;
  /** Set when the server closed or reset the connection. */
  readonly loss: ConnectionLoss | undefined;
  /** The reply that broke the protocol, when there was one (an unsolicited 421). */
  readonly reply: Reply | undefined;
  constructor(step: SmtpStep, reason: ProtocolFailureReason, message: string, options: { loss?: ConnectionLoss; reply?: Reply } = {}) {
    super(step, message);
    this.reason = reason;
    this.loss = options.loss;
    this.reply = options.reply;
  }
}

/** The user stopped the wait (Ctrl-C): where it stopped says nothing about the server. */
export class InterruptedError extends SmtpCheckError {
  readonly reason = 'interrupted';
  constructor(step: SmtpStep, message = 'interrupted') {
    super(step, message);
  }
}

/** A DNS lookup that gave no answer to judge (see DnsFailureReason). */
export class DnsError extends SmtpCheckError {
  readonly reason: DnsFailureReason;
  /** The name and record type asked for. */
  readonly name: string;
  readonly type: string;
  /** The resolver(s) asked, as host:port. */
  readonly resolvers: readonly string[];
  constructor(reason: DnsFailureReason, message: string, query: { name: string; type: string; resolvers: readonly string[] }) {
    super('dns', message);
    this.reason = reason;
    this.name = query.name;
    this.type = query.type;
    this.resolvers = query.resolvers;
  }
}

export class TimeoutError extends SmtpCheckError {
  readonly reason = 'timeout';
  readonly timeoutMs: number;
  /** The session was plaintext when the wait ran out (a silent greeting then suggests an implicit-TLS port). */
  readonly plaintext: boolean;
  constructor(step: SmtpStep, timeoutMs: number, what: string, options: { plaintext?: boolean } = {}) {
    super(step, `timed out after ${formatSeconds(timeoutMs)} waiting for ${what}`);
    this.timeoutMs = timeoutMs;
    this.plaintext = options.plaintext ?? false;
  }
}

function formatSeconds(ms: number): string {
  return ms % 1000 === 0 ? `${ms / 1000} s` : `${(ms / 1000).toFixed(1)} s`;
}
