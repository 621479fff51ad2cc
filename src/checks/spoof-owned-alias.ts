import type { CheckDefinition } from './check.js';
import { fail, pass } from './check.js';
import { trySender, unsettledSender } from './sender-probe.js';

/** Positive control for the spoofing checks: the login's own aliases must still work. */
export const spoofOwnedAlias: CheckDefinition = {
  id: 'spoof-owned-alias',
  title: 'Owned aliases are accepted as sender',
  roles: ['submission', 'submissions'],
  severity: 'func',
  needs: ['credentials', 'alias'],
  fix: 'add the alias to smtpd_sender_login_maps for this login (the guide\'s query: SELECT email FROM virtual_users WHERE email=\'%s\' UNION SELECT destination FROM virtual_aliases WHERE source=\'%s\'); Exim: let the sender check in acl_smtp_mail accept an address whose owner lookup gives $authenticated_id',
  async run(context) {
    const alias = context.target.alias!;
    const attempt = await trySender(context, () => context.openAuthenticated(), alias, context.target.localRecipient);
    if (attempt.disposition === 'refused') return fail(`logged in as ${context.user}, the owned alias ${alias} was refused: ${attempt.decisive}`);
    if (attempt.disposition === 'accepted') return pass(`sending as owned alias ${alias} accepted`);
    return unsettledSender(alias, attempt);
  },
};
