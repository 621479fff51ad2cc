import { StartTlsInjectionError } from '../core/errors.js';
import { replySummary } from '../core/reply.js';
import type { CheckDefinition } from './check.js';
import { fail, pass, skip, warn } from './check.js';

// How long to wait inside TLS for the answer to the injected EHLO. Loopback and LAN
// servers answer in milliseconds; 2 s matches the catalogue's wire sequence.
const INJECTION_QUIET_MS = 2000;

/**
 * CVE-2011-0411 class: plaintext pipelined behind STARTTLS must be discarded, not
 * executed inside TLS. One write "STARTTLS\r\nEHLO inj.invalid\r\n"; a vulnerable
 * server answers the EHLO after the handshake, unasked.
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
    const reply = await session.connection.readReply('starttls', context.target.timeouts.commandMs, { pauseAfter: true });
    if (reply.code !== 220) return pass(`pipelined STARTTLS refused before the handshake: ${replySummary(reply)}`);
    try {
      await session.connection.upgradeToTls();
    } catch (error) {
      if (error instanceof StartTlsInjectionError) return warn('the server answered the pipelined EHLO in plaintext after its 220 (not the CVE, but it keeps reading plaintext after STARTTLS)');
      throw error;
    }
    const unsolicited = await session.connection.readUnsolicitedReply('command', INJECTION_QUIET_MS);
    if (unsolicited) return fail(`the injected plaintext EHLO was executed inside TLS: unsolicited ${replySummary(unsolicited)}`);
    const noop = await session.command('NOOP');
    if (noop.code !== 250) return warn(`nothing unsolicited after the handshake, but NOOP got ${replySummary(noop)}`);
    return pass('nothing unsolicited after the handshake; NOOP 250');
  },
};
