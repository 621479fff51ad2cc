import { relayFormCheck } from './relay-probe.js';

/** Source routes <@local:user@elsewhere> (nmap #12, #13): servers strip the route (RFC 5321 §3.6.1), leaving a foreign destination. */
export const relaySourceRoute = relayFormCheck({
  id: 'relay-source-route',
  title: 'Source routes do not reach outside',
  vectors: (_context, { ext, loc, srv, ip }) =>
    [`[${ip}]`, srv, loc].map((hop) => ({ form: `<@${hop}:r@${ext}>`, mailFrom: `p@${ext}`, rcptTo: `@${hop}:r@${ext}` })),
});
