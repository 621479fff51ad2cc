import type { Deferral } from '../core/deferral.js';
import { DEFERRAL_ADVICE, deferralOf } from '../core/deferral.js';
import type { Reply } from '../core/reply.js';
import { isPositive, recipientAccepted, replySummary } from '../core/reply.js';
import type { CheckDefinition } from './check.js';
import { fail, inconclusive, pass, skip, warn } from './check.js';
import type { CheckContext } from './context.js';
import { settleDeferrals } from './deferral-retry.js';
import { countUnsolicitedReplies, SENTINEL_QUIET_MS, SENTINEL_VERB } from './unsolicited-replies.js';

/**
 * The end-of-data forms a real outbound MTA lets through (docs/checks.md#smug-eod, graded
 * high): bare LF around the dot. Only <CRLF>.<CRLF> may end DATA.
 */
export const SMUGGLING_SEQUENCES: readonly { name: string; bytes: string; shown: string }[] = [
  { name: 'lflf', bytes: '\n.\n', shown: '\\n.\\n' },
  { name: 'lfcrlf', bytes: '\n.\r\n', shown: '\\n.\\r\\n' },
  { name: 'crlflf', bytes: '\r\n.\n', shown: '\\r\\n.\\n' },
];

interface SmugglingRun {
  name: string;
  replies: Reply[];
}

/** A message that never got as far as its end of data, and why. */
interface Unsent {
  reason: string;
  /** Set when a 4yz stopped it (greylisting, a client restriction…): retried, never judged. */
  deferral: Deferral | null;
}

const unsent = (command: string, reply: Reply): Unsent => {
  const deferral = deferralOf(reply);
  return { reason: `${command} ${deferral ? `deferred (${deferral.class})` : 'refused'}: ${replySummary(reply)}`, deferral };
};

async function sendProbe(context: CheckContext, sender: string, recipient: string, sequence: { bytes: string; shown: string } | null): Promise<Reply[] | Unsent> {
  const session = context.role === 'mta' ? await context.open('none') : await context.openAuthenticated();
  try {
    const mail = await session.mailFrom(sender);
    if (!isPositive(mail)) return unsent('MAIL', mail);
    const rcpt = await session.rcptTo(recipient);
    if (!recipientAccepted(rcpt)) return unsent('RCPT', rcpt);
    const data = await session.command('DATA', 'data');
    if (data.code !== 354) return unsent('DATA', data);
    if (!sequence) {
      session.sendRaw('Subject: smtpcheck smuggling control\r\n\r\nA\r\n.\r\n', 'data', 'Subject: smtpcheck smuggling control\\r\\n\\r\\nA\\r\\n.\\r\\n   (one write)');
    } else {
      const smuggled = `MAIL FROM:<${sender}>\r\nRCPT TO:<${recipient}>\r\nDATA\r\nSubject: smtpcheck smuggled\r\n\r\nB\r\n.\r\n`;
      session.sendRaw(
        `Subject: smtpcheck smuggling probe\r\n\r\nA${sequence.bytes}${smuggled}`,
        'data',
        `Subject: smtpcheck smuggling probe\\r\\n\\r\\nA${sequence.shown}MAIL FROM:<${sender}>\\r\\nRCPT TO:<${recipient}>\\r\\nDATA\\r\\nSubject: smtpcheck smuggled\\r\\n\\r\\nB\\r\\n.\\r\\n   (one write)`,
      );
    }
    const first = await session.readReply('data', context.target.timeouts.dataMs);
    // The smuggled transaction's replies, if any, come before the sentinels' answers.
    // A server that hangs up (e.g. Postfix's pipelining guard after "554 5.5.0
    // protocol synchronization") has said all it will. One that answers nothing more,
    // not even the sentinels, may still be at work on a smuggled message.
    const count = await countUnsolicitedReplies(session, 'command');
    if (count.end === 'silence' && count.unsolicited.length === 0) {
      return { reason: `nothing answered the sentinel command ${SENTINEL_VERB} within ${SENTINEL_QUIET_MS / 1000} s after the end of data`, deferral: null };
    }
    return [first, ...count.unsolicited];
  } finally {
    await context.done(session);
  }
}

/**
 * Reading the replies to one probe (docs/checks.md#smug-eod): exactly one means the sequence
 * stayed content or was rejected; a later 354 means the smuggled DATA was accepted,
 * so the hidden message was queued; other extra replies (smuggled MAIL and RCPT
 * answered, then DATA refused by Postfix's pipelining guard) mean DATA ended at the
 * bad sequence but no message was smuggled this time.
 */
export function judgeSmugglingReplies(replies: Reply[]): 'single' | 'smuggled' | 'ended-early' {
  if (replies.length <= 1) return 'single';
  return replies.slice(1).some((reply) => reply.code === 354) ? 'smuggled' : 'ended-early';
}

/**
 * SMTP smuggling (CVE-2023-51764/51765/51766): a message whose body hides a second
 * transaction behind a non-standard end-of-data. One reply means the sequence stayed
 * content (or was rejected); more than one means the server ended DATA early and ran
 * the smuggled commands. Sends real mail, so only to the recipient the user named.
 */
export const smugEod: CheckDefinition = {
  id: 'smug-eod',
  title: 'Only <CRLF>.<CRLF> ends DATA (SMTP smuggling)',
  roles: ['mta', 'submission', 'submissions'],
  severity: 'high',
  needs: ['recipient'],
  fix: 'Postfix ≥3.7.10/3.8.5: smtpd_forbid_bare_newline = normalize (default from 3.9) and smtpd_forbid_unauth_pipelining = yes; older: smtpd_data_restrictions = reject_unauth_pipelining and smtpd_discard_ehlo_keywords = chunking. Mind smtpd_forbid_bare_newline_exclusions (default $mynetworks): a trusted client sees no protection. Exim: upgrade to 4.97.1 or later (CVE-2023-51766; distributions backport the fix)',
  async run(context) {
    if (context.role !== 'mta' && !context.target.credentials) return skip('on a submission port this needs a login: give --auth-user');
    const sender = context.role === 'mta' ? `smtpcheck@${context.target.foreignDomain}` : context.user;
    const recipient = context.target.localRecipient;
    // Control and probes in parallel sessions. A deferred message (greylisting, a
    // client restriction) is sent again as a real client would (docs/checks.md#deferrals).
    const send = async (sequence: { bytes: string; shown: string } | null) =>
      (await settleDeferrals(context, () => sendProbe(context, sender, recipient, sequence), (sent) => (Array.isArray(sent) ? null : sent.deferral))).result;
    const notSent = (what: string, sent: Unsent) =>
      inconclusive(`${what}: ${sent.reason}${sent.deferral ? `: ${DEFERRAL_ADVICE[sent.deferral.class]}` : ''}`, { details: { kind: 'deferral', deferral: sent.deferral } });
    const [control, ...probes] = await Promise.all([null, ...SMUGGLING_SEQUENCES].map(send));
    if (!Array.isArray(control)) return notSent('control message', control!);
    if (control.length !== 1 || control[0]!.code !== 250) return inconclusive(`control message not accepted exactly once (${control.map((reply) => reply.code).join(', ')})`);
    const runs: SmugglingRun[] = [];
    for (const [index, sequence] of SMUGGLING_SEQUENCES.entries()) {
      const replies = probes[index]!;
      if (!Array.isArray(replies)) return notSent(`probe ${sequence.name}`, replies);
      runs.push({ name: sequence.name, replies });
    }
    const smuggled = runs.filter((run) => judgeSmugglingReplies(run.replies) === 'smuggled');
    const truncated = runs.filter((run) => judgeSmugglingReplies(run.replies) === 'ended-early');
    const table = runs.map((run) => `${run.name}: ${run.replies.map((reply) => reply.code).join(' ')}`).join('; ');
    if (smuggled.length > 0) return fail(`${smuggled.map((run) => run.name).join(', ')} ended DATA early and ran the smuggled transaction (${table})`);
    if (truncated.length > 0) {
      return warn(`${truncated.map((run) => run.name).join(', ')} ended DATA early, but the smuggled DATA was refused (${table}): only the pipelining guard stands between this server and smuggling`);
    }
    return pass(`each sequence got exactly one reply (${table})`);
  },
};
