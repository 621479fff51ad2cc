import { relayFormCheck } from './relay-probe.js';

/** Quoted local parts hiding a foreign address (nmap #7, #8, #10). */
export const relayQuoted = relayFormCheck({
  id: 'relay-quoted',
  title: 'Quoted local parts do not relay',
  vectors: (_context, { ext, loc, ip }) =>
    [`"r@${ext}"`, `"r%${ext}"`, `"r@${ext}"@[${ip}]`, `"r@${ext}"@${loc}`].map((rcpt) => ({ form: `<${rcpt}>`, mailFrom: `p@${ext}`, rcptTo: rcpt })),
});
