import { relayFormCheck } from './relay-probe.js';

/** user@elsewhere@local: sender-specified routing (nmap #9, #11). */
export const relayDoubleAt = relayFormCheck({
  id: 'relay-double-at',
  title: 'Sender-specified routing (double @) refused',
  vectors: (_context, { ext, loc, srv, ip }) =>
    [`[${ip}]`, srv, loc].map((domain) => ({ form: `<r@${ext}@${domain}>`, mailFrom: `p@${ext}`, rcptTo: `r@${ext}@${domain}` })),
});
