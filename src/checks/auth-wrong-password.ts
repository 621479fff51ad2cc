import { selectMechanism } from '../core/authenticate.js';
import { replySummary } from '../core/reply.js';
import type { CheckDefinition } from './check.js';
import { fail, inconclusive, pass } from './check.js';

export const authWrongPassword: CheckDefinition = {
  id: 'auth-wrong-password',
  title: 'A wrong password is refused',
  roles: ['submission', 'submissions'],
  severity: 'crit',
  needs: ['credentials'],
  fix: 'the authentication backend accepts any password: check Dovecot passdb (no "nopassword", no allow_all) and any SASL proxy; Exim: the authenticator\'s server_condition must be false for a wrong password',
  async run(context) {
    const session = await context.open('tls');
    const { user, password } = context.target.credentials!;
    const offered = session.capabilities?.authMechanisms ?? [];
    const mechanism = selectMechanism(session, offered.includes('PLAIN') ? { mechanism: 'PLAIN' } : {});
    const outcome = await session.authenticate(mechanism, { user, secret: `${password}-smtpcheck-wrong` });
    if (outcome.success) return fail(`a wrong password for ${user} was accepted: ${replySummary(outcome.reply)}`, { severity: 'crit' });
    if (outcome.reply.code >= 500) return pass(`wrong password refused: ${replySummary(outcome.reply)}`);
    return inconclusive(`temporary failure instead of a verdict: ${replySummary(outcome.reply)}`);
  },
};
