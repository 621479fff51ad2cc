import type { CheckDefinition } from './check.js';
import { fail, pass } from './check.js';
import { SENDER_LOGIN_FIX, trySender, unsettledSender } from './sender-probe.js';

/** A logged-in user cannot send as another hosted user. */
export const spoofLoginMismatchUser: CheckDefinition = {
  id: 'spoof-login-mismatch-user',
  title: 'A user cannot send as another hosted user',
  roles: ['submission', 'submissions'],
  severity: 'high',
  needs: ['credentials', 'other-sender'],
  fix: SENDER_LOGIN_FIX,
  async run(context) {
    const other = context.target.otherSender!;
    const attempt = await trySender(context, () => context.openAuthenticated(), other, `r@${context.target.foreignDomain}`);
    if (attempt.disposition === 'accepted') return fail(`logged in as ${context.user}, sending as ${other} was accepted: ${attempt.decisive}`);
    if (attempt.disposition === 'refused') return pass(`sending as ${other} refused: ${attempt.decisive}`);
    return unsettledSender(other, attempt);
  },
};
