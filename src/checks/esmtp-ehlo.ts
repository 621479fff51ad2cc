import { ProtocolError } from '../core/errors.js';
import { replySummary } from '../core/reply.js';
import type { CheckDefinition } from './check.js';
import { ALL_ROLES, fail, info, pass } from './check.js';

/** EHLO works and is well formed; HELO fallback is a plain 250 (RFC 5321 §4.1.1.1, §3.2). */
export const esmtpEhlo: CheckDefinition = {
  id: 'esmtp-ehlo',
  title: 'EHLO works and is well formed',
  roles: ALL_ROLES,
  severity: 'func',
  fix: 'the server must answer EHLO with "250 <domain>" and one keyword per line, all with the same code; check smtpd_helo_restrictions if EHLO is refused',
  async run(context) {
    const session = await context.open('none', { ehlo: false });
    try {
      const ehlo = await session.command(`EHLO ${context.target.connection.heloName}`, 'ehlo');
      if (ehlo.code === 250) {
        const domain = ehlo.lines[0]?.split(/\s+/)[0] ?? '';
        if (!domain) return fail('EHLO answer does not start with the server\'s domain');
        return pass(`EHLO answered by ${domain} with ${ehlo.lines.length - 1} keywords`);
      }
      if (ehlo.code === 500 || ehlo.code === 502) {
        const helo = await session.command(`HELO ${context.target.connection.heloName}`, 'helo');
        if (helo.code !== 250) return fail(`EHLO ${ehlo.code} and HELO refused: ${replySummary(helo)}`);
        if (helo.lines.length > 1) return fail('HELO got a multi-line EHLO-style answer (RFC 5321 §3.2 forbids it)');
        return info(`no ESMTP: EHLO ${ehlo.code}, HELO accepted`);
      }
      return fail(`EHLO refused: ${replySummary(ehlo)}`);
    } catch (error) {
      if (error instanceof ProtocolError) return fail(`malformed EHLO answer: ${error.message}`);
      throw error;
    }
  },
};
