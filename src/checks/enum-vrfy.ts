import type { Reply } from '../core/reply.js';
import type { CheckDefinition, CheckOutcome } from './check.js';
import { ALL_ROLES, fail, pass } from './check.js';
import type { CheckContext, SessionTls } from './context.js';

const klass = (reply: Reply) => Math.floor(reply.code / 100);

/** VRFY must not tell existing users from others (RFC 5321 §7.3): same answer for both, or none at all. */
export const enumVrfy: CheckDefinition = {
  id: 'enum-vrfy',
  title: 'VRFY does not tell users apart',
  roles: ALL_ROLES,
  severity: 'med',
  fix: 'Postfix: disable_vrfy_command = yes (answers 502 5.5.1); Exim: no vrfy ACL accept; a 252 for every address is also fine',
  async run(context) {
    const outcome = await compareVrfy(context, context.role === 'mta' ? 'none' : 'tls');
    // An MX that answers 530 before TLS may still answer VRFY inside it.
    return outcome ?? (await compareVrfy(context, 'tls'))!;
  },
};

/** The verdict, or null when the server wants STARTTLS first and TLS was not up yet. */
async function compareVrfy(context: CheckContext, tls: SessionTls): Promise<CheckOutcome | null> {
  const session = await context.open(tls);
  const known = context.target.localRecipient;
  const random = `${context.randomLocalPart()}@${context.target.localDomain}`;
  const pairs: [string, string][] = [
    [known, random],
    [known.split('@')[0]!, random.split('@')[0]!],
  ];
  const answers: string[] = [];
  for (const [existing, unknown] of pairs) {
    const forKnown = await session.command(`VRFY ${existing}`);
    if (forKnown.code === 530 && tls === 'none' && session.capabilities?.startTls) {
      await context.done(session);
      return null;
    }
    const forRandom = await session.command(`VRFY ${unknown}`);
    answers.push(`${existing} → ${forKnown.code}, ${unknown} → ${forRandom.code}`);
    // A difference only leaks when the random user is refused and the real one is not.
    if (klass(forRandom) === 5 && klass(forKnown) === 2) return fail(`VRFY tells users apart: ${answers.join('; ')}`);
  }
  return pass(`no difference${tls === 'tls' ? ' (inside TLS)' : ''}: ${answers.join('; ')}`);
}
