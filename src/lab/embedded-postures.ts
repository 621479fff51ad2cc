/**
 * How each service of the embedded lab is configured, and the replies that
 * configuration gives, in Postfix 3.7's own words. The services are those of the real
 * Postfix lab (test/lab/templates, docs/lab-postfix.md): the relaying guide's set-up,
 * and one-flaw variants of it, so a check that fails on a service fails because of that
 * one setting.
 *
 * The decisions are pure functions over the client's state; embedded-lab.ts feeds them
 * from smtp-server's callbacks and turns the replies into wire text.
 */
import type { Role } from '../checks/check.js';
import type { LabUser } from './lab-description.js';

/** $myhostname: the greeting, the EHLO reply and the certificate name. */
export const SERVER_HOSTNAME = 'mail.example.org';
/** The one virtual mailbox domain, also $myorigin: bare names are completed with it. */
export const HOSTED_DOMAIN = 'example.org';
/** A domain the lab does not host: relay probes aim at it (RFC 2606 names never route). */
export const FOREIGN_DOMAIN = 'example.net';

/** Postfix's message_size_limit default, advertised as SIZE. */
export const MESSAGE_SIZE_LIMIT = 10_240_000;

/** Dovecot's passdb, which is also virtual_mailbox_maps: every user has a mailbox. */
export const MAILBOX_USERS: readonly LabUser[] = [
  { user: 'john@example.org', password: 'summersun' },
  { user: 'lisa@example.org', password: 'winterrain' },
];

/** john's alias, which smtpd_sender_login_maps also lets him send as. */
export const SALES_ALIAS = { address: 'sales@example.org', owner: 'john@example.org' } as const;

/** virtual_alias_maps: sales@, and the postmaster@ and abuse@ that RFC 5321 §4.5.1 and RFC 2142 ask for. */
const ALIAS_TARGETS: ReadonlyMap<string, string> = new Map([
  [SALES_ALIAS.address, SALES_ALIAS.owner],
  ['postmaster@example.org', 'john@example.org'],
  ['abuse@example.org', 'john@example.org'],
]);

/** smtpd_sender_login_maps: the guide's email2email entries plus john's sales@. */
const SENDER_LOGINS: ReadonlyMap<string, string> = new Map([
  ...MAILBOX_USERS.map((user): [string, string] => [user.user, user.user]),
  [SALES_ALIAS.address, SALES_ALIAS.owner],
]);

/** recipient_delimiter = + (Debian's stock main.cf): john+tag@ is john's, for delivery and sender login alike. */
const RECIPIENT_DELIMITER = '+';

/**
 * A reply the way Postfix writes it: code, RFC 3463 enhanced code, text. The text
 * echoes addresses in angle brackets as Postfix does.
 */
export interface PostfixReply {
  code: number;
  enhanced: string;
  text: string;
}

/** What the server knows about the client when it decides. */
export interface ClientState {
  tlsActive: boolean;
  /** The SASL login after a successful AUTH, lower case; null before. */
  login: string | null;
}

/**
 * One service's settings, named after the Postfix parameters they stand for so a reader
 * can map each to main.cf or a master.cf `-o` override.
 */
export interface ServicePosture {
  name: string;
  role: Role;
  /** null for a correctly configured service; otherwise its one deliberate flaw. */
  flaw: string | null;
  /** Port = basePort + portOffset when the caller asks for fixed ports. */
  portOffset: number;
  /** smtpd_tls_wrappermode=yes: TLS from the first byte (port 465). */
  tlsWrapperMode: boolean;
  /** smtpd_tls_security_level: empty (no STARTTLS), may (offered) or encrypt (required first). */
  tlsSecurityLevel: 'none' | 'may' | 'encrypt';
  /** smtpd_tls_auth_only=yes: AUTH neither advertised nor accepted outside TLS. */
  tlsAuthOnly: boolean;
  /**
   * Postfix 3.7's TLS defaults (smtpd_tls_protocols = >=TLSv1, the "medium" cipher list):
   * TLS 1.0 and 1.1 and anonymous suites are negotiated. Kept on the MX services, where
   * any TLS beats plaintext (RFC 7435); the submission services take TLS 1.2+ only.
   */
  legacyTls: boolean;
  /** smtpd_sender_restrictions, checked at RCPT time (smtpd_delay_reject=yes). */
  senderRestrictions:
    | ''
    | 'permit_sasl_authenticated, reject'
    | 'reject_sender_login_mismatch, permit_sasl_authenticated, reject';
  /**
   * The client is in mynetworks, so permit_mynetworks in smtpd_relay_restrictions lets it
   * relay; otherwise defer_unauth_destination answers 454. (The submission services
   * leave smtpd_relay_restrictions empty, but their sender restrictions already refuse
   * every client that has not logged in.)
   */
  clientInMynetworks: boolean;
  /** smtpd_reject_unlisted_recipient (the guide turns it off on submission). */
  rejectUnlistedRecipient: boolean;
  /** disable_vrfy_command=yes. */
  disableVrfyCommand: boolean;
}

type PostureTemplate = Omit<ServicePosture, 'name' | 'flaw' | 'portOffset'>;

/** Port 25 as the guide leaves main.cf; the MX-role services change one field of it. */
const SECURE_MTA: PostureTemplate = {
  role: 'mta',
  tlsWrapperMode: false,
  tlsSecurityLevel: 'may',
  tlsAuthOnly: true,
  legacyTls: true,
  senderRestrictions: '',
  clientInMynetworks: false,
  rejectUnlistedRecipient: true,
  disableVrfyCommand: true,
};

/** The guide's master.cf submission entry; the submission-role services change one field of it. */
const SECURE_SUBMISSION: PostureTemplate = {
  role: 'submission',
  tlsWrapperMode: false,
  tlsSecurityLevel: 'encrypt',
  tlsAuthOnly: true,
  legacyTls: false,
  senderRestrictions: 'reject_sender_login_mismatch, permit_sasl_authenticated, reject',
  clientInMynetworks: false,
  rejectUnlistedRecipient: false,
  disableVrfyCommand: true,
};

/** The services, in port order: the same names, roles and flaws as the real Postfix lab. */
export const SERVICE_POSTURES: readonly ServicePosture[] = [
  { ...SECURE_MTA, name: 'mta', flaw: null, portOffset: 0 },
  { ...SECURE_SUBMISSION, name: 'submission', flaw: null, portOffset: 1 },
  { ...SECURE_SUBMISSION, role: 'submissions', name: 'submissions', flaw: null, portOffset: 2, tlsWrapperMode: true },
  {
    ...SECURE_MTA,
    name: 'open-relay',
    flaw: 'open relay: relays to any domain without AUTH (client in mynetworks)',
    portOffset: 3,
    clientInMynetworks: true,
  },
  {
    ...SECURE_MTA,
    name: 'plaintext-auth',
    flaw: 'AUTH before TLS: smtpd_tls_auth_only=no',
    portOffset: 4,
    tlsAuthOnly: false,
  },
  {
    ...SECURE_SUBMISSION,
    name: 'submission-no-tls',
    flaw: 'TLS not required on submission: smtpd_tls_security_level=may, smtpd_tls_auth_only=no',
    portOffset: 5,
    tlsSecurityLevel: 'may',
    tlsAuthOnly: false,
  },
  {
    ...SECURE_SUBMISSION,
    name: 'spoofable',
    flaw: 'sender spoofing: no reject_sender_login_mismatch in smtpd_sender_restrictions',
    portOffset: 6,
    senderRestrictions: 'permit_sasl_authenticated, reject',
  },
  {
    ...SECURE_MTA,
    name: 'vrfy',
    flaw: 'user enumeration: disable_vrfy_command=no',
    portOffset: 7,
    disableVrfyCommand: false,
  },
  {
    ...SECURE_MTA,
    name: 'no-starttls',
    flaw: 'no STARTTLS: smtpd_tls_security_level= (empty)',
    portOffset: 8,
    tlsSecurityLevel: 'none',
  },
];

/**
 * Commands Postfix does not have, so smtp-server must answer them as unknown
 * (`500 5.5.2 Error: command not recognized`): its HELP text and sendmail's joke verbs.
 */
const COMMANDS_POSTFIX_LACKS = ['HELP', 'WIZ', 'SHELL', 'KILL'];

/**
 * The smtp-server commands to switch off for a session in the given TLS state. AUTH goes
 * while TLS is not up under smtpd_tls_auth_only, which hides it from EHLO as Postfix
 * does; STARTTLS goes where no TLS is configured.
 */
export function disabledCommands(posture: ServicePosture, tlsActive: boolean): string[] {
  const disabled = [...COMMANDS_POSTFIX_LACKS];
  if (posture.tlsSecurityLevel === 'none') disabled.push('STARTTLS');
  if (posture.tlsAuthOnly && !tlsActive) disabled.push('AUTH');
  return disabled;
}

const MUST_START_TLS: PostfixReply = { code: 530, enhanced: '5.7.0', text: 'Must issue a STARTTLS command first' };

/** Postfix's reply when Dovecot refuses a login (Dovecot gives no reason). */
export const AUTHENTICATION_FAILED: PostfixReply = {
  code: 535,
  enhanced: '5.7.8',
  text: 'Error: authentication failed: (reason unavailable)',
};

export const MESSAGE_TOO_BIG: PostfixReply = { code: 552, enhanced: '5.3.4', text: 'Message size exceeds fixed limit' };

export function messageQueued(queueId: string): PostfixReply {
  return { code: 250, enhanced: '2.0.0', text: `Ok: queued as ${queueId}` };
}

/** Checks a login against Dovecot's passdb; returns the canonical login, or null. */
export function authenticate(username: string, password: string): string | null {
  const login = username.toLowerCase();
  const user = MAILBOX_USERS.find((candidate) => candidate.user === login);
  return user !== undefined && user.password === password ? login : null;
}

/**
 * Where trivial-rewrite sends an address, reduced to what the lab needs: a key for its
 * maps (lower case, $myorigin added to a bare name, the +extension and a trailing dot
 * of the domain dropped), or null when the address routes elsewhere. Elsewhere is any
 * other domain, and also sender-specified routing in the local part (user%host@,
 * user@host@, host!user, "user@host"@): Postfix treats those as relaying however local
 * the last domain looks.
 */
function resolveHosted(address: string): string | null {
  const at = address.lastIndexOf('@');
  const localPart = (at < 0 ? address : address.slice(0, at)).replace(/^"(.*)"$/, '$1').toLowerCase();
  const domain = at < 0 ? HOSTED_DOMAIN : address.slice(at + 1).toLowerCase().replace(/\.$/, '');
  if (/[@%!]/.test(localPart) || domain !== HOSTED_DOMAIN) return null;
  const delimiter = localPart.indexOf(RECIPIENT_DELIMITER);
  return `${delimiter > 0 ? localPart.slice(0, delimiter) : localPart}@${domain}`;
}

/** virtual_mailbox_maps + virtual_alias_maps: does this hosted address lead to a mailbox? */
function hasMailbox(hostedKey: string): boolean {
  return ALIAS_TARGETS.has(hostedKey) || MAILBOX_USERS.some((user) => user.user === hostedKey);
}

/** smtpd_sender_login_maps: the login that owns a sender address, or null for an unmapped one. */
function ownerOf(sender: string): string | null {
  const hostedKey = resolveHosted(sender);
  return hostedKey === null ? null : (SENDER_LOGINS.get(hostedKey) ?? null);
}

function userUnknown(address: string): PostfixReply {
  return {
    code: 550,
    enhanced: '5.1.1',
    text: `<${address}>: Recipient address rejected: User unknown in virtual mailbox table`,
  };
}

/**
 * MAIL FROM. Postfix (smtpd_delay_reject=yes) judges the sender at RCPT time, so the only
 * refusal here is the smtpd_tls_security_level=encrypt gate.
 */
export function checkMailFrom(posture: ServicePosture, client: ClientState): PostfixReply | null {
  if (posture.tlsSecurityLevel === 'encrypt' && !client.tlsActive) return MUST_START_TLS;
  return null;
}

/**
 * smtpd_sender_restrictions, in their listed order. The null sender (bounces) owns
 * nothing, and reject_sender_login_mismatch lets it pass.
 */
function checkSender(posture: ServicePosture, client: ClientState, sender: string): PostfixReply | null {
  if (posture.senderRestrictions === '') return null;
  if (posture.senderRestrictions.startsWith('reject_sender_login_mismatch') && sender !== '') {
    const owner = ownerOf(sender);
    if (client.login !== null && owner !== client.login) {
      return { code: 553, enhanced: '5.7.1', text: `<${sender}>: Sender address rejected: not owned by user ${client.login}` };
    }
    if (client.login === null && owner !== null) {
      return { code: 553, enhanced: '5.7.1', text: `<${sender}>: Sender address rejected: not logged in` };
    }
  }
  if (client.login === null) {
    return { code: 554, enhanced: '5.7.1', text: `<${sender}>: Sender address rejected: Access denied` };
  }
  return null;
}

/**
 * RCPT TO, in Postfix's order: sender restrictions, relay restrictions, then the
 * unlisted-recipient check. Returns null to accept.
 */
export function checkRcptTo(
  posture: ServicePosture,
  client: ClientState,
  sender: string,
  recipient: string,
): PostfixReply | null {
  return checkSender(posture, client, sender) ?? checkRecipient(posture, client, recipient);
}

/** The relay restrictions and the unlisted-recipient check, which RCPT and VRFY share. */
function checkRecipient(posture: ServicePosture, client: ClientState, recipient: string): PostfixReply | null {
  const hostedKey = resolveHosted(recipient);
  if (hostedKey === null && client.login === null && !posture.clientInMynetworks) {
    return { code: 454, enhanced: '4.7.1', text: `<${recipient}>: Relay access denied` };
  }
  if (hostedKey !== null && posture.rejectUnlistedRecipient && !hasMailbox(hostedKey)) return userUnknown(recipient);
  return null;
}

/**
 * VRFY. With disable_vrfy_command=no Postfix judges the address as it would a recipient
 * (relay restrictions included): a mailbox gets 252 echoing the argument, an unknown
 * hosted address 550, an address elsewhere the relay refusal.
 */
export function answerVrfy(posture: ServicePosture, client: ClientState, argument: string): PostfixReply {
  if (posture.tlsSecurityLevel === 'encrypt' && !client.tlsActive) return MUST_START_TLS;
  if (posture.disableVrfyCommand) return { code: 502, enhanced: '5.5.1', text: 'VRFY command is disabled' };
  if (argument === '') return { code: 501, enhanced: '5.5.4', text: 'Syntax: VRFY address [SMTPUTF8]' };
  const refusal = checkRecipient(posture, client, argument.replace(/^<(.*)>$/, '$1'));
  return refusal ?? { code: 252, enhanced: '2.0.0', text: argument };
}
