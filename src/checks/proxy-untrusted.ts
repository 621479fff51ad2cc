import type { DeferralClass } from '../core/deferral.js';
import { deferralOf, replyDisposition } from '../core/deferral.js';
import { ConnectError, ReplyError } from '../core/errors.js';
import type { ProxyHeaderSpec } from '../core/proxy-protocol.js';
import type { Reply } from '../core/reply.js';
import type { SmtpSession } from '../core/session.js';
import { replySummary } from '../core/reply.js';
import type { CheckDefinition, CheckOutcome } from './check.js';
import { fail, inconclusive, pass, warn } from './check.js';
import { CLAIMED_CLIENT_ADDRESS } from './claimed-client.js';
import type { CheckContext, SessionTls } from './context.js';

/**
 * A PROXY protocol header (haproxy's proxy-protocol.txt) tells the server who the
 * client is. A server that takes one from anybody lets anybody be anybody: claim
 * loopback, which Postfix's default mynetworks trusts, and relay. The header is only
 * safe from the balancer itself (proxy-protocol.txt §7, "Security considerations").
 */

export type ProxyProbe =
  | { header: 'refused' }
  | { header: 'accepted'; mail: Reply; rcpt: Reply | null };

/** The verdict on what the server did with a PROXY header from this (untrusted) client. */
export function proxyVerdict(probe: ProxyProbe, rcptTo: string): CheckOutcome {
  if (probe.header === 'refused') return pass('the server does not take a PROXY header from this client');
  const claim = `claiming to be ${CLAIMED_CLIENT_ADDRESS}`;
  if (replyDisposition(probe.mail) !== 'accepted') return inconclusive(`PROXY header accepted from this client; ${claim}, MAIL was not accepted (${replySummary(probe.mail)}), so relaying could not be tried`);
  const rcpt = probe.rcpt!;
  switch (replyDisposition(rcpt)) {
    case 'accepted':
      return fail(`PROXY header accepted from this client, and ${claim} it relays to ${rcptTo} (${replySummary(rcpt)}): anyone can claim a trusted address`);
    case 'refused':
      return warn(`PROXY header accepted from this client: anyone can claim any address, so address-based rules (mynetworks, blocklists) are void; ${claim} did not open relaying here (${replySummary(rcpt)})`);
    default:
      return inconclusive(`PROXY header accepted from this client; ${claim}, RCPT to ${rcptTo} was answered ${replySummary(rcpt)}`);
  }
}

export const proxyUntrusted: CheckDefinition = {
  id: 'proxy-untrusted',
  title: 'PROXY headers only from the balancer',
  roles: ['mta', 'submission', 'submissions'],
  severity: 'crit',
  fix: 'Let only the load balancer reach a port with smtpd_upstream_proxy_protocol (or postscreen_upstream_proxy_protocol) = haproxy: firewall it, or bind it to an address only the balancer can reach. Exim: limit hosts_proxy to the balancer.',
  async run(context) {
    const { foreignDomain, foreignDomain2, port } = context.target;
    const header: ProxyHeaderSpec = { version: 1, source: { address: CLAIMED_CLIENT_ADDRESS, port: 40000 }, destination: { address: CLAIMED_CLIENT_ADDRESS, port } };
    const rcptTo = `r@${foreignDomain2}`;
    const tls = context.role === 'mta' ? 'none' : 'tls';
    let session;
    try {
      session = await openWithHeader(context, tls, header);
    } catch (error) {
      if (error instanceof ConnectError && error.reason === 'proxy-refused') return proxyVerdict({ header: 'refused' }, rcptTo);
      throw error;
    }
    try {
      const mail = await session.mailFrom(`p@${foreignDomain}`);
      const rcpt = replyDisposition(mail) === 'accepted' ? await session.rcptTo(rcptTo) : null;
      if (rcpt) await session.reset();
      return proxyVerdict({ header: 'accepted', mail, rcpt }, rcptTo);
    } finally {
      await context.done(session);
    }
  },
};

// Deferral classes that name a limit or a front: "not now" for every client, whatever it sent first.
const LIMIT_CLASSES: readonly DeferralClass[] = ['rate-limit', 'error-limit', 'screening', 'greylisting', 'client-rejected', 'policy'];

/**
 * Open with the header first. A 4yz greeting then may be a limit (not now, for anyone)
 * or the server closing on bytes that came before its greeting (smtp-server's "421
 * You talk too soon"): the header refused. Only the server can tell them apart: a
 * session without the header that is greeted 220, between two header attempts that
 * are not, shows the header caused it. A deferral that names a limit, or a server that
 * defers the plain session too, stays a deferral (inconclusive), never a pass.
 */
async function openWithHeader(context: CheckContext, tls: SessionTls, header: ProxyHeaderSpec): Promise<SmtpSession> {
  const withHeader = () => context.open(tls, { proxyHeader: header, retryDeferredGreeting: false });
  try {
    return await withHeader();
  } catch (error) {
    const deferral = error instanceof ReplyError && error.step === 'greeting' ? deferralOf(error.reply) : null;
    if (!deferral || LIMIT_CLASSES.includes(deferral.class)) throw error;
    const plain = await context.open(tls, { ehlo: false });
    await context.done(plain);
    try {
      return await withHeader();
    } catch (again) {
      if (!(again instanceof ReplyError && again.step === 'greeting' && deferralOf(again.reply))) throw again;
      throw new ConnectError('proxy-refused', `the server answered ${again.reply.code} to every session that began with the PROXY header, and 220 to one without it`);
    }
  }
}
