import type { CheckDefinition } from './check.js';
import { ALL_ROLES } from './check.js';
import { probeEnumeration } from './enumeration-probe.js';

/** EXPN must not expand lists or aliases, nor tell hosted addresses from others (RFC 5321 §7.3). */
export const enumExpn: CheckDefinition = {
  id: 'enum-expn',
  title: 'EXPN does not expand lists or aliases',
  roles: ALL_ROLES,
  severity: 'med',
  fix: 'disable EXPN (Postfix has none; Sendmail: PrivacyOptions=noexpn; Exim: remove acl_smtp_expn, or deny in it)',
  run(context) {
    // Addresses the server hosts: a list or alias is what EXPN would expand.
    const hosted = [context.target.localRecipient, ...(context.target.alias ? [context.target.alias] : [])];
    return probeEnumeration(context, 'EXPN', hosted.map((address) => [address, `${context.randomLocalPart()}@${context.target.localDomain}`]));
  },
};
