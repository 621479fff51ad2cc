import type { CheckDefinition } from './check.js';
import { fail, pass } from './check.js';
import { SENDER_LOGIN_FIX, trySender, unsettledSender } from './sender-probe.js';

/** A logged-in user cannot send as an outside address (the guide's john@example.com case). */
export const spoofLoginMismatchExternal: CheckDefinition = {
  id: 'spoof-login-mismatch-external',
  title: 'A user cannot send as any outside address',
  roles: ['submission', 'submissions'],
  severity: 'high',
  needs: ['credentials'],
  fix: `${SENDER_LOGIN_FIX}. reject_known_sender_login_mismatch checks only addresses listed in the map, so outside addresses pass it`,
  async run(context) {
    const sender = `ceo@${context.target.foreignDomain}`;
    const attempt = await trySender(context, () => context.openAuthenticated(), sender, context.target.localRecipient);
    if (attempt.disposition === 'accepted') return fail(`logged in as ${context.user}, sending as ${sender} was accepted: ${attempt.decisive}`);
    if (attempt.disposition === 'refused') return pass(`sending as ${sender} refused: ${attempt.decisive}`);
    return unsettledSender(sender, attempt);
  },
};
