import type { CheckOutcome } from './check.js';
import type { CheckContext, SessionTls } from './context.js';
import { settleDeferrals } from './deferral-retry.js';
import type { EnumerationPair, EnumerationVerb } from './enumeration.js';
import { enumerationDeferral, judgeEnumeration } from './enumeration.js';

/**
 * Ask `verb` for each [hosted, random] pair on one session and judge the answers
 * (judgeEnumeration). An MX that answers 530 before TLS is asked again inside it; a
 * deferred answer is asked again on a new session (settleDeferrals).
 */
export async function probeEnumeration(context: CheckContext, verb: EnumerationVerb, addresses: readonly [string, string][]): Promise<CheckOutcome> {
  const { result } = await settleDeferrals(context, () => askPairs(context, verb, addresses), (asked) => enumerationDeferral(asked.pairs));
  return judgeEnumeration(verb, result.pairs, result.tls === 'tls' && context.role === 'mta' ? ' (inside TLS)' : '');
}

async function askPairs(context: CheckContext, verb: EnumerationVerb, addresses: readonly [string, string][]): Promise<{ pairs: EnumerationPair[]; tls: SessionTls }> {
  let tls: SessionTls = context.role === 'mta' ? 'none' : 'tls';
  for (;;) {
    const session = await context.open(tls);
    const pairs: EnumerationPair[] = [];
    let needsTls = false;
    try {
      for (const [hosted, random] of addresses) {
        const hostedReply = await session.command(`${verb} ${hosted}`);
        if (hostedReply.code === 530 && tls === 'none' && session.capabilities?.startTls) {
          needsTls = true;
          break;
        }
        pairs.push({ hosted, hostedReply, random, randomReply: await session.command(`${verb} ${random}`) });
      }
    } finally {
      await context.done(session);
    }
    if (!needsTls) return { pairs, tls };
    tls = 'tls';
  }
}
