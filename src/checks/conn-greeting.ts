import { ProtocolError, ReplyError, TimeoutError } from '../core/errors.js';
import { replyDisposition } from '../core/deferral.js';
import { replySummary } from '../core/reply.js';
import type { CheckDefinition } from './check.js';
import { ALL_ROLES, fail, pass, warn } from './check.js';

/** The server greets with 220 and its domain (RFC 5321 §4.2, §3.1). */
export const connGreeting: CheckDefinition = {
  id: 'conn-greeting',
  title: 'Correct greeting',
  roles: ALL_ROLES,
  severity: 'func',
  fix: 'the server must greet with "220 <its FQDN> ESMTP"; Postfix: smtpd_banner = $myhostname ESMTP. A 554 greeting means it refuses this client (check postscreen, client restrictions, blocklists)',
  async run(context) {
    try {
      const session = await context.open('none', { ehlo: false });
      const domain = session.greeting.lines[0]?.split(/\s+/)[0] ?? '';
      if (!/\.|^\[/.test(domain)) return warn(`greeting names "${domain}", not a fully qualified domain: ${replySummary(session.greeting)}`);
      return pass(`220 greeting from ${domain}`);
    } catch (error) {
      // A 4yz greeting (anvil's 421 after the connection budget) is "not now": the
      // runner makes it inconclusive with its class, never a broken server.
      if (error instanceof ReplyError && error.step === 'greeting' && replyDisposition(error.reply) !== 'deferred') {
        return error.reply.code === 554 ? warn(`server refuses service to this client: ${replySummary(error.reply)}`) : fail(`unexpected greeting: ${replySummary(error.reply)}`);
      }
      if (error instanceof TimeoutError && error.step === 'greeting') return fail(`no greeting within ${error.timeoutMs / 1000} s`);
      if (error instanceof ProtocolError) return fail(`the greeting is not SMTP: ${error.message}`);
      throw error;
    }
  },
};
