import type { Reply } from '../core/reply.js';
import { replySummary } from '../core/reply.js';
import { xclientCommand } from '../core/xclient.js';
import type { CheckDefinition, CheckOutcome } from './check.js';
import { fail, pass } from './check.js';
import { CLAIMED_CLIENT_ADDRESS } from './claimed-client.js';

/**
 * XCLIENT (Postfix's XCLIENT_README) lets a client say whom the session is "really"
 * from. Listed to and accepted from an untrusted client, it lets anyone claim to be
 * in mynetworks. Run from outside the server's trusted networks: from a host in
 * smtpd_authorized_xclient_hosts the check rightly finds XCLIENT accepted.
 */

const CLAIM = [{ name: 'ADDR', value: CLAIMED_CLIENT_ADDRESS }];

/** The verdict from whether the EHLO answer listed XCLIENT and what XCLIENT was answered. */
export function xclientVerdict(listed: boolean, reply: Reply | null): CheckOutcome {
  if (!listed) return pass('XCLIENT is not offered to this client');
  if (reply !== null && reply.code === 220) return fail(`XCLIENT offered to and accepted from this client (${replySummary(reply)}): it can claim any address, mynetworks included`);
  return pass(`XCLIENT is listed but refused to this client${reply ? ` (${replySummary(reply)})` : ''}`);
}

export const xclientUntrusted: CheckDefinition = {
  id: 'xclient-untrusted',
  title: 'XCLIENT only for trusted clients',
  roles: ['mta', 'submission', 'submissions'],
  severity: 'crit',
  fix: 'Postfix: set smtpd_authorized_xclient_hosts to the proxies that need it only (the default is empty); never a network that untrusted clients come from.',
  async run(context) {
    const session = await context.open(context.role === 'mta' ? 'none' : 'tls');
    try {
      const listed = session.capabilities?.xclient != null;
      // Sent even when unlisted would be a probe of its own; unlisted is the answer.
      const reply = listed ? await session.command(xclientCommand(CLAIM), 'xclient') : null;
      return xclientVerdict(listed, reply);
    } finally {
      await context.done(session);
    }
  },
};
