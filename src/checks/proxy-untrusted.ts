import { replyDisposition } from '../core/deferral.js';
import { ConnectError } from '../core/errors.js';
import type { ProxyHeaderSpec } from '../core/proxy-protocol.js';
import type { Reply } from '../core/reply.js';
import { replySummary } from '../core/reply.js';
import type { CheckDefinition, CheckOutcome } from './check.js';
import { fail, inconclusive, pass, warn } from './check.js';

/**
 * A PROXY protocol header (haproxy's proxy-protocol.txt) tells the server who the
 * client is. A server that takes one from anybody lets anybody be anybody: claim
 * loopback, which Postfix's default mynetworks trusts, and relay. The header is only
 * safe from the balancer itself (proxy-protocol.txt §7, "Security considerations").
 */

/** The client this check claims to be: loopback, in every default mynetworks (Postfix's mynetworks_style=host). */
export const CLAIMED_SOURCE = '127.0.0.1';

export type ProxyProbe =
  | { header: 'refused' }
  | { header: 'accepted'; mail: Reply; rcpt: Reply | null };

/** The verdict on what the server did with a PROXY header from this (untrusted) client. */
export function proxyVerdict(probe: ProxyProbe, rcptTo: string): CheckOutcome {
  if (probe.header === 'refused') return pass('the server does not take a PROXY header from this client');
  const claim = `claiming to be ${CLAIMED_SOURCE}`;
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
    const header: ProxyHeaderSpec = { version: 1, source: { address: CLAIMED_SOURCE, port: 40000 }, destination: { address: CLAIMED_SOURCE, port } };
    const rcptTo = `r@${foreignDomain2}`;
    let session;
    try {
      session = await context.open(context.role === 'mta' ? 'none' : 'tls', { proxyHeader: header });
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
