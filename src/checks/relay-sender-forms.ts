import { relayFormCheck } from './relay-probe.js';

/** Senders that a careless configuration trusts: null, hosted, the server's own names (nmap #1, #3, #4). */
export const relaySenderForms = relayFormCheck({
  id: 'relay-sender-forms',
  title: 'No sender form unlocks relay',
  vectors: (_context, { ext, loc, srv, ip }) =>
    ['', `p@${loc}`, `p@${srv}`, `p@[${ip}]`, `postmaster@${loc}`].map((sender) => ({ form: `MAIL FROM:<${sender}>`, mailFrom: sender, rcptTo: `r@${ext}` })),
});
