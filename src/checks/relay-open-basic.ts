import { relayFormCheck } from './relay-probe.js';

/**
 * The plain open-relay test: outside recipient, no AUTH, from an outside sender and
 * from the null sender. The null sender is the one every MTA must take (bounces,
 * RFC 5321 §4.5.5) and passes any sender verification: an open relay behind Exim's
 * upstream "require verify = sender" refuses p@{ext}, whose domain does not route,
 * before it ever considers relaying, and relays for <> (docs/checks.md#relay-open-basic).
 */
export const relayOpenBasic = relayFormCheck({
  id: 'relay-open-basic',
  title: 'No unauthenticated relay',
  roles: ['mta', 'submission'],
  vectors: (_context, { ext, ext2 }) => [
    { form: `<r@${ext2}>`, mailFrom: `p@${ext}`, rcptTo: `r@${ext2}` },
    { form: `MAIL FROM:<> to <r@${ext2}>`, mailFrom: '', rcptTo: `r@${ext2}` },
  ],
});
