import type { CheckDefinition } from './check.js';
import { ALL_ROLES } from './check.js';
import { probeEnumeration } from './enumeration-probe.js';

/** VRFY must not tell existing users from others (RFC 5321 §7.3): same answer for both, or none at all. */
export const enumVrfy: CheckDefinition = {
  id: 'enum-vrfy',
  title: 'VRFY does not tell users apart',
  roles: ALL_ROLES,
  severity: 'med',
  fix: 'Postfix: disable_vrfy_command = yes (answers 502 5.5.1); Exim: remove acl_smtp_vrfy, or deny in it; a 252 for every address is also fine',
  run(context) {
    const known = context.target.localRecipient;
    const random = `${context.randomLocalPart()}@${context.target.localDomain}`;
    return probeEnumeration(context, 'VRFY', [
      [known, random],
      [known.split('@')[0]!, random.split('@')[0]!],
    ]);
  },
};
