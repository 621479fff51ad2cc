import { StartTlsInjectionError } from '../core/errors.js';
import type { Reply } from '../core/reply.js';
import { replySummary } from '../core/reply.js';
import type { CheckDefinition, CheckOutcome } from './check.js';
import { fail, inconclusive, pass, skip, warn } from './check.js';
import type { UnsolicitedCount } from './unsolicited-replies.js';
import { countUnsolicitedReplies, SENTINEL_QUIET_MS, SENTINEL_VERB } from './unsolicited-replies.js';

/**
 * CVE-2011-0411 class: plaintext pipelined behind STARTTLS must be discarded, not
 * executed inside TLS. One write "STARTTLS\r\nEHLO inj.invalid\r\n" is the attack,
 * and breaks RFC 2920 §3.1 on purpose (STARTTLS must end a group); a vulnerable
 * server answers the EHLO after the handshake, unasked. The sentinels sent after the
 * handshake (unsolicited-replies.ts), each alone, count that answer without waiting
 * out a silence.
 */
export const starttlsInjection: CheckDefinition = {
  id: 'starttls-injection',
  title: 'Plaintext pipelined behind STARTTLS is discarded',
  roles: ['mta', 'submission'],
  severity: 'high',
  fix: 'upgrade the MTA: the server must discard its input buffer when TLS starts (fixed in Postfix 2.8.4/2.7.3/2.6.9/2.5.12, Exim, Dovecot submission 2.3.14.1 CVE-2021-33515)',
  async run(context) {
    const session = await context.open('none');
    if (!session.capabilities?.startTls) return skip('STARTTLS not advertised (see starttls-offered)');
    session.sendRaw('STARTTLS\r\nEHLO inj.invalid\r\n', 'starttls', 'STARTTLS\\r\\nEHLO inj.invalid\\r\\n   (one write)');
    const reply = await session.connection.readReply('starttls', context.target.connection.timeouts.commandMs, { pauseAfter: true });
    if (reply.code !== 220) return judgeRefusedStartTls(reply);
    try {
      await session.connection.upgradeToTls();
    } catch (error) {
      if (error instanceof StartTlsInjectionError) return warn('the server answered the pipelined EHLO in plaintext after its 220 (not the CVE, but it keeps reading plaintext after STARTTLS)');
      throw error;
    }
    return judgeInjection(await countUnsolicitedReplies(session, 'command'));
  },
};

/**
 * STARTTLS was advertised, so a permanent refusal of the pipelined one is the server
 * refusing input sent ahead of its reply (Exim's smtp_enforce_sync: "554 SMTP
 * synchronization error" and a hang-up): the injected EHLO can never reach TLS.
 * Anything else but 220 (454 TLS not available, 421) says "not now": TLS never
 * started, so nothing is known about what the server does with pipelined plaintext.
 */
export function judgeRefusedStartTls(reply: Reply): CheckOutcome {
  if (reply.code >= 500 && reply.code < 600) return pass(`the pipelined STARTTLS was refused (${replySummary(reply)}): input sent ahead of the 220 never reaches TLS`);
  return inconclusive(`the pipelined STARTTLS got ${replySummary(reply)}, not 220: TLS did not start, so whether pipelined plaintext would run inside TLS is unknown; try again later`);
}

/**
 * Inside TLS only the sentinels were sent: their answers alone (500/502, 250) pass.
 * Anything before them is the injected EHLO answered. When their answers never come
 * (a server that swallows one), every reply that did come counts as unsolicited, as
 * it did when this check listened for 2 s of silence.
 */
export function judgeInjection(count: UnsolicitedCount): CheckOutcome {
  const first = count.unsolicited[0];
  if (count.end === 'sentinels') {
    if (first) return fail(`the injected plaintext EHLO was executed inside TLS: unsolicited ${replySummary(first)} before the answers to the sentinel commands`);
    return pass(`nothing unsolicited after the handshake: the sentinel commands ${SENTINEL_VERB} and NOOP, each sent alone, were answered first (500/502, 250)`);
  }
  if (first) {
    return fail(`the injected plaintext EHLO was probably executed inside TLS: unsolicited ${replySummary(first)}; the sentinel commands ${SENTINEL_VERB} and NOOP were not answered 500/502 then 250 (got ${count.unsolicited.map((reply) => reply.code).join(', ')}), so every reply after the handshake counts as unsolicited`);
  }
  if (count.end === 'closed' && count.closedBy) throw count.closedBy;
  return inconclusive(`nothing came back within ${SENTINEL_QUIET_MS / 1000} s after the handshake, not even an answer to the sentinel command ${SENTINEL_VERB}: cannot tell whether the injected EHLO was executed`);
}
