import type { CheckDefinition } from './check.js';
import { ALL_ROLES, fail, pass } from './check.js';

/** EXPN must not expand aliases or lists. */
export const enumExpn: CheckDefinition = {
  id: 'enum-expn',
  title: 'EXPN does not expand lists or aliases',
  roles: ALL_ROLES,
  severity: 'med',
  fix: 'disable EXPN (Postfix has none; Sendmail: PrivacyOptions=noexpn; Exim: no expn ACL accept)',
  async run(context) {
    const session = await context.open(context.role === 'mta' ? 'none' : 'tls');
    const alias = context.target.alias ?? `postmaster@${context.target.localDomain}`;
    const random = `${context.randomLocalPart()}@${context.target.localDomain}`;
    const forAlias = await session.command(`EXPN ${alias}`);
    const forRandom = await session.command(`EXPN ${random}`);
    if (forAlias.code === 250) return fail(`EXPN ${alias} expanded: ${forAlias.raw.join(' | ')}`);
    return pass(`EXPN not available: ${alias} → ${forAlias.code}, ${random} → ${forRandom.code}`);
  },
};
