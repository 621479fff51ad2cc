import { relayFormCheck } from './relay-probe.js';

/** UUCP bang paths elsewhere!user (nmap #14-#16); Postfix swaps them (swap_bangpath). */
export const relayBang = relayFormCheck({
  id: 'relay-bang',
  title: 'UUCP bang paths do not relay',
  vectors: (_context, { ext, loc, srv, ip }) =>
    [`${ext}!r`, `${ext}!r@[${ip}]`, `${ext}!r@${srv}`, `${ext}!r@${loc}`].map((rcpt) => ({ form: `<${rcpt}>`, mailFrom: `p@${ext}`, rcptTo: rcpt })),
});
