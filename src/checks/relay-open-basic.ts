import { relayFormCheck } from './relay-probe.js';

/** The plain open-relay test: outside sender, outside recipient, no AUTH. */
export const relayOpenBasic = relayFormCheck({
  id: 'relay-open-basic',
  title: 'No unauthenticated relay',
  roles: ['mta', 'submission'],
  vectors: (_context, { ext, ext2 }) => [{ form: `<r@${ext2}>`, mailFrom: `p@${ext}`, rcptTo: `r@${ext2}` }],
});
