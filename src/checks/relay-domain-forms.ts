import { relayFormCheck } from './relay-probe.js';

/** Spellings of a foreign domain that a sloppy "is it local?" test might take for hosted. */
export const relayDomainForms = relayFormCheck({
  id: 'relay-domain-forms',
  title: 'Domain spellings do not pass as local',
  vectors: (_context, { ext, loc }) =>
    [
      `r@${ext.toUpperCase()}`,
      `r@${ext}.`,
      // RFC 5737 TEST-NET-1: a literal that is certainly not this server.
      'r@[192.0.2.1]',
      `r@smtpcheck-unhosted.${loc}`,
      `r@${loc}.${ext}`,
    ].map((rcpt) => ({ form: `<${rcpt}>`, mailFrom: `p@${ext}`, rcptTo: rcpt })),
});
