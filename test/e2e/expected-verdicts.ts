import type { Role, Verdict } from '../../src/checks/check.js';
import { ConnectionSlots } from '../../src/checks/connection-slots.js';
import type { CheckTarget } from '../../src/checks/context.js';
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

export const EXPECTED_FLAWS: Record<string, Partial<Record<string, Verdict>>> = {
  mta: {},
  submission: {},
  submissions: {},
  // mynetworks also exempts the client from bare-newline normalisation
  // (smtpd_forbid_bare_newline_exclusions = $mynetworks): DATA ends at the bare LF, and
  // only smtpd_forbid_unauth_pipelining refuses the smuggled commands.
  'open-relay': { ...RELAY_FAILS, 'smug-eod': 'warn' },
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
  // PROXY protocol services (issue 15): reached directly, with the header of an outside client.
  // proxied believes a header from anyone, but its mynetworks trusts nobody: the claim does not relay.
  proxied: { 'proxy-untrusted': 'warn' },
  'proxy-open': { 'proxy-untrusted': 'fail' },
  // XCLIENT services (issue 15): the matrix connects from 127.0.0.1, which only xclient-open trusts.
  xclient: {},
  'xclient-open': { 'xclient-untrusted': 'fail' },
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
