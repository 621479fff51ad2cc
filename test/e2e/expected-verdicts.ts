import type { Role, Verdict } from '../../src/checks/check.js';
import { CHECKS } from '../../src/checks/registry.js';
import { ConnectionSlots } from '../../src/checks/connection-slots.js';
import type { CheckTarget } from '../../src/checks/context.js';
import type { DeferralClass } from '../../src/core/deferral.js';
import type { ProxyHeaderSpec } from '../../src/core/proxy-protocol.js';
import { DEFAULT_TIMEOUTS } from '../../src/core/timeouts.js';
import type { LabDescription } from '../../src/lab/lab-description.js';

/**
 * The expected verdict of every check on every lab service (issue 4's matrix),
 * shared by the real Postfix lab's matrix and the embedded lab's. A secure service
 * passes everything (bar the MX's tolerated TLS findings); each flawed service fails
 * exactly the checks that detect its flaw.
 */
export const ROLE_BASELINE: Record<Role, Partial<Record<string, Verdict>>> = {
  // Postfix's TLS defaults on an MX: TLS 1.0 and aNULL are tolerated (RFC 7435), reported, not failed.
  mta: { 'tls-versions': 'warn', 'tls-anon': 'info' },
  submission: {},
  submissions: {},
};

const NO_TLS: Partial<Record<string, Verdict>> = {
  'starttls-offered': 'fail',
  'starttls-handshake': 'skip',
  'starttls-injection': 'skip',
  'tls-versions': 'skip',
  'tls-anon': 'skip',
  'cert-chain-trusted': 'skip',
  'cert-hostname': 'skip',
  'cert-validity': 'skip',
};

const RELAY_FAILS = Object.fromEntries(
  ['relay-open-basic', 'relay-sender-forms', 'relay-percent', 'relay-quoted', 'relay-double-at', 'relay-source-route', 'relay-bang', 'relay-domain-forms'].map((id) => [id, 'fail' as Verdict]),
);

// The open-relay service's row: also what every front's open-relay twin gives once
// the tester gets past the front (a reconnect, an allowed retry, a slower pace).
const OPEN_RELAY: Partial<Record<string, Verdict>> = { ...RELAY_FAILS, 'smug-eod': 'warn' };

/** Every relay check inconclusive: a front defers the probes and no retry gets past it. */
const RELAY_INCONCLUSIVE = Object.fromEntries(Object.keys(RELAY_FAILS).map((id) => [id, 'inconclusive' as Verdict]));

/** Every check of the mta role ends inconclusive: the server defers all of them. */
const ALL_MTA_INCONCLUSIVE = Object.fromEntries(CHECKS.filter((check) => check.roles.includes('mta')).map((check) => [check.id, 'inconclusive' as Verdict]));

export const EXPECTED_FLAWS: Record<string, Partial<Record<string, Verdict>>> = {
  mta: {},
  submission: {},
  submissions: {},
  // mynetworks also exempts the client from bare-newline normalisation
  // (smtpd_forbid_bare_newline_exclusions = $mynetworks): DATA ends at the bare LF, and
  // only smtpd_forbid_unauth_pipelining refuses the smuggled commands.
  'open-relay': OPEN_RELAY,
  'plaintext-auth': { 'auth-hidden-plaintext': 'fail', 'auth-refused-plaintext': 'fail' },
  'submission-no-tls': { 'starttls-required-sub': 'fail', 'auth-hidden-plaintext': 'fail', 'auth-refused-plaintext': 'fail' },
  spoofable: { 'spoof-login-mismatch-user': 'fail', 'spoof-login-mismatch-external': 'fail' },
  vrfy: { 'enum-vrfy': 'fail' },
  smuggling: { 'smug-eod': 'fail' },
  'no-starttls': NO_TLS,
  'submission-weak-tls': { 'tls-versions': 'fail', 'tls-anon': 'fail' },
  'submissions-untrusted': { 'cert-chain-trusted': 'fail' },
  'submissions-wrong-name': { 'cert-hostname': 'fail' },
  // OpenSSL reports an expired leaf as a chain error too.
  'submissions-expired': { 'cert-validity': 'fail', 'cert-chain-trusted': 'fail' },
  // Fronts (docs/lab-postfix.md#fronts): each before a secure mta and an open relay.
  // No false pass on a relay twin, no false fail on a secure one; a front the tester
  // gets past gives the plain row, one it cannot is inconclusive with its class
  // (EXPECTED_DEFERRALS).
  // postscreen: after its deep tests, 450 4.3.2 to every RCPT; the reconnect reaches smtpd.
  'postscreen-deep': {},
  'postscreen-deep-relay': OPEN_RELAY,
  // postscreen's pregreet only: a multi-line greeting with a pause; never talk early.
  'postscreen-greet': {},
  'postscreen-greet-relay': OPEN_RELAY,
  // postgrey as Debian ships it and the default control postmaster@: the control
  // is exempt, every relay probe greylisted, and no --retry-deferred: inconclusive.
  // smug-eod's message goes to postmaster@ too, so it gets through.
  greylist: {},
  'greylist-relay': { ...RELAY_INCONCLUSIVE, 'smug-eod': 'warn' },
  // postgrey with no whitelists, retried after its delay (MATRIX_ROWS): the truth.
  'greylist-strict': {},
  'greylist-strict-relay': OPEN_RELAY,
  // reject_unverified_recipient: a foreign address never verifies in the lab (its
  // probe is deferred), so relaying stays "450 4.1.1 unverified address".
  'addr-verify': {},
  'addr-verify-relay': { ...RELAY_INCONCLUSIVE, 'smug-eod': 'warn' },
  // anvil: 2 connections at a time; the tester backs off and runs fewer at once.
  'conn-limit': {},
  'conn-limit-relay': OPEN_RELAY,
  // anvil: the hour's connections used up before the row (MATRIX_ROWS): every
  // check meets "421 4.7.0 too many connections", a deferral, never a verdict.
  'rate-limit': ALL_MTA_INCONCLUSIVE,
  'rate-limit-relay': ALL_MTA_INCONCLUSIVE,
  // Error limits (soft 1, hard 3): probes spread over sessions stay under them.
  'error-limit': {},
  'error-limit-relay': OPEN_RELAY,
  // Every RCPT from the tester's address deferred, the control's too: nothing to tell.
  'client-defer': { 'relay-control': 'inconclusive', ...RELAY_INCONCLUSIVE, 'smug-eod': 'inconclusive' },
  'client-defer-relay': { 'relay-control': 'inconclusive', ...RELAY_INCONCLUSIVE, 'smug-eod': 'inconclusive' },
  // PROXY protocol services (issue 15): reached directly, with the header of an outside client.
  // proxied believes a header from anyone, but its mynetworks trusts nobody: the claim does not relay.
  proxied: { 'proxy-untrusted': 'warn' },
  'proxy-open': { 'proxy-untrusted': 'fail' },
  // XCLIENT services (issue 15): the matrix connects from 127.0.0.1, which only xclient-open trusts.
  xclient: {},
  'xclient-open': { 'xclient-untrusted': 'fail' },
};

/**
 * The deferral class behind every inconclusive cell of a front's row (docs/checks.md#deferrals):
 * the result's details must name it and no other. One class per row.
 */
export const EXPECTED_DEFERRALS: Record<string, DeferralClass> = {
  'greylist-relay': 'greylisting',
  'addr-verify-relay': 'verification-pending',
  'rate-limit': 'rate-limit',
  'rate-limit-relay': 'rate-limit',
  'client-defer': 'client-rejected',
  'client-defer-relay': 'client-rejected',
};

/** What a front's row does besides the defaults, as a user facing that front would. */
export interface MatrixRow {
  /** --retry-deferred: wait this long and ask a deferred probe again. */
  retryDeferredMs?: number;
  /** --local-recipient: the control recipient, when not the lab's first user. */
  localRecipient?: string;
  /** Connect from a loopback address of its own (127.x.y.z): greylisting meets a client it has never seen. */
  freshSource?: boolean;
  /** Use up the client's connections for the hour before the row runs (anvil's rate limit). */
  spendConnections?: boolean;
  /**
   * Checks left out of the row, each with its reason: where the server itself answers
   * one way or the other by timing, no single verdict can be asserted.
   */
  leaveOut?: Record<string, string>;
}

// Postfix answers a PROXY header sent before its greeting with "554 5.5.0 SMTP protocol
// synchronization" (a refusal: pass) or, when anvil's limit is checked first, with
// the 421 (a deferral: inconclusive), depending on which it meets first. Both are
// right; proxy-untrusted is proven on the proxy services instead.
const ANVIL_RACES_THE_HEADER = { 'proxy-untrusted': '554 to the early PROXY header or 421 from anvil, whichever Postfix meets first' };

// The lab's strict postgrey greylists for 3 s (test/lab/start.sh).
const POSTGREY_RETRY_MS = 4000;

export const MATRIX_ROWS: Record<string, MatrixRow> = {
  greylist: { localRecipient: 'postmaster@example.org', freshSource: true },
  'greylist-relay': { localRecipient: 'postmaster@example.org', freshSource: true },
  'greylist-strict': { retryDeferredMs: POSTGREY_RETRY_MS, freshSource: true },
  'greylist-strict-relay': { retryDeferredMs: POSTGREY_RETRY_MS, freshSource: true },
  'rate-limit': { spendConnections: true, leaveOut: ANVIL_RACES_THE_HEADER },
  'rate-limit-relay': { spendConnections: true, leaveOut: ANVIL_RACES_THE_HEADER },
};

/**
 * Lab services that take only connections starting with a PROXY header: the matrix
 * connects as a balancer would for an outside client (192.0.2.99, RFC 5737), so that
 * every other check sees the service as it sees any MX.
 */
export const PROXY_ONLY_SERVICES: readonly string[] = ['proxied', 'proxy-open'];

/** The PROXY header the matrix sends to a PROXY_ONLY_SERVICES service on `port`. */
export function outsideClientHeader(port: number): ProxyHeaderSpec {
  return { version: 1, source: { address: '192.0.2.99', port: 40000 }, destination: { address: '127.0.0.1', port } };
}

export function expectedVerdict(service: string, role: Role, checkId: string): Verdict {
  return EXPECTED_FLAWS[service]?.[checkId] ?? ROLE_BASELINE[role][checkId] ?? 'pass';
}

/** A check target for one lab service, with the lab's users, alias and CA: every check can run. */
export function matrixTarget(lab: LabDescription, port: number, role: Role, service?: string): CheckTarget {
  return {
    host: lab.host,
    port,
    role,
    ...(service !== undefined && PROXY_ONLY_SERVICES.includes(service) ? { proxyHeader: outsideClientHeader(port) } : {}),
    heloName: 'smtpcheck.example',
    tls: lab.caFile ? { caFile: lab.caFile } : { caPem: lab.caPem! },
    timeouts: { ...DEFAULT_TIMEOUTS, connectMs: 5000, greetingMs: 10_000, commandMs: 10_000, dataMs: 10_000 },
    localDomain: lab.domain,
    localRecipient: lab.users[0]!.user,
    recipientGiven: true,
    foreignDomain: lab.foreignDomain,
    foreignDomain2: 'example.com',
    credentials: { user: lab.users[0]!.user, password: lab.users[0]!.password },
    alias: lab.alias.address,
    otherSender: lab.users[1]!.user,
    slots: new ConnectionSlots(8),
  };
}

// --- The Exim lab (test/lab/exim, docs/lab-exim.md) -----------------------------------
// Exim 4.96 from Debian, one daemon per service, Exim's defaults kept where realism is
// the point. Every cell that differs from the Postfix lab's, and why:
// - tls-anon passes on every Exim MTA (Postfix: info): Debian's Exim uses GnuTLS, whose
//   "NORMAL" priority has no anonymous key exchange. tls-versions stays a warn: NORMAL
//   still offers TLS 1.0 and 1.1 on an MX, like Postfix's defaults.
// - enum-vrfy passes on every secure service: without acl_smtp_vrfy Exim answers a full
//   address "252 Administrative prohibition" and a bare local part "501 … must contain a
//   domain"; the 501 is a syntax error, no answer about users (judgeEnumeration).
// - No Exim smuggling or weak-TLS or broken-certificate services: the one-flaw postures
//   below are the ones Exim expresses in one setting. EXPN gets its own service (Postfix
//   has no EXPN at all).
// - exim-open-relay fails only the relay forms Exim routes: Exim's default ACL refuses
//   local parts with @ % ! / | before relay_from_hosts is consulted, so the %-hack,
//   quoted, double-@ and bang paths stay refused even there; source routes are stripped
//   (RFC 5321 §C) and relay. Its smug-eod passes: relay_from_hosts changes nothing about
//   how Exim ends DATA (Postfix's mynetworks also lifts bare-newline normalisation).
// Relay refusals are 550 without an enhanced code, submission refuses at MAIL (550
// authentication required), and Exim's pipelining synchronisation and error limits are
// on everywhere: the secure cells pass through all of them.
export const EXIM_ROLE_BASELINE: Record<Role, Partial<Record<string, Verdict>>> = {
  mta: { 'tls-versions': 'warn' },
  submission: {},
  submissions: {},
};

/** The checks that send from an outside sender, behind sender verification that refuses it (exim-verify-sender). */
const SENDER_VERIFIED_INCONCLUSIVE: Partial<Record<string, Verdict>> = Object.fromEntries(
  ['relay-open-basic', 'relay-sender-forms', 'relay-percent', 'relay-quoted', 'relay-double-at', 'relay-source-route', 'relay-bang', 'relay-domain-forms', 'smug-eod'].map((id) => [id, 'inconclusive' as Verdict]),
);

export const EXIM_EXPECTED_FLAWS: Record<string, Partial<Record<string, Verdict>>> = {
  'exim-mta': {},
  'exim-submission': {},
  'exim-submissions': {},
  'exim-open-relay': Object.fromEntries(['relay-open-basic', 'relay-sender-forms', 'relay-source-route', 'relay-domain-forms'].map((id) => [id, 'fail' as Verdict])),
  'exim-plaintext-auth': { 'auth-hidden-plaintext': 'fail', 'auth-refused-plaintext': 'fail' },
  'exim-submission-no-tls': { 'starttls-required-sub': 'fail', 'auth-hidden-plaintext': 'fail', 'auth-refused-plaintext': 'fail' },
  'exim-spoofable': { 'spoof-login-mismatch-user': 'fail', 'spoof-login-mismatch-external': 'fail' },
  'exim-vrfy': { 'enum-vrfy': 'fail' },
  'exim-expn': { 'enum-expn': 'fail' },
  'exim-no-starttls': NO_TLS,
  // Exim's upstream default ACL: "require verify = sender" after the postmaster
  // exemption, before relaying. The lab routes no foreign domain, so p@{ext} fails
  // verification: the control (john@, not exempt) is refused with it, and every form
  // sent from it proves nothing (inconclusive, never a pass). The null sender always
  // verifies: relay-open-basic and relay-sender-forms ask with it, so the open-relay
  // twin fails them, and the secure twin refuses it.
  'exim-verify-sender': { 'relay-control': 'inconclusive', ...SENDER_VERIFIED_INCONCLUSIVE },
  // Every family asks each form from <> too: the forms this open relay routes fail from it.
  'exim-verify-sender-relay': { 'relay-control': 'inconclusive', ...SENDER_VERIFIED_INCONCLUSIVE, 'relay-open-basic': 'fail', 'relay-sender-forms': 'fail', 'relay-source-route': 'fail', 'relay-domain-forms': 'fail' },
};

export function eximExpectedVerdict(service: string, role: Role, checkId: string): Verdict {
  return EXIM_EXPECTED_FLAWS[service]?.[checkId] ?? EXIM_ROLE_BASELINE[role][checkId] ?? 'pass';
}
