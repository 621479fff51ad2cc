import { relayFormCheck } from './relay-probe.js';

/**
 * The plain open-relay test: outside recipient, no AUTH, from an outside sender (and,
 * as every relay family, from the null sender: withNullSenderTwins;
 * docs/checks.md#relay-open-basic).
 */
export const relayOpenBasic = relayFormCheck({
  id: 'relay-open-basic',
  title: 'No unauthenticated relay',
  roles: ['mta', 'submission'],
  vectors: (_context, { ext, ext2 }) => [
    { form: `<r@${ext2}>`, mailFrom: `p@${ext}`, rcptTo: `r@${ext2}` },
  ],
});
