import { relayFormCheck } from './relay-probe.js';

/** The "%" hack: user%elsewhere@local (nmap #5, #6); Postfix rewrites it (allow_percent_hack), relay control must still apply. */
export const relayPercent = relayFormCheck({
  id: 'relay-percent',
  title: '"%" hack does not relay',
  vectors: (_context, { ext, loc, srv, ip }) =>
    [loc, `[${ip}]`, srv].map((domain) => ({ form: `<r%${ext}@${domain}>`, mailFrom: `p@${ext}`, rcptTo: `r%${ext}@${domain}` })),
});
