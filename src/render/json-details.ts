import type { CheckDetails } from '../checks/evidence.js';
import { replySummary } from '../core/reply.js';

/**
 * A check's details in the JSON contract of docs/json.md (`checks[].details`): a relay
 * family's probes as an array with the replies summarised (`"454 4.7.1 …"`), a
 * deferral as `{deferral: {class, reply}}`, DANE's match as `{matched, records, baseDomain}`
 * and its failure as `{reason, records, baseDomain}`.
 */
export function jsonDetails(details: CheckDetails): unknown {
  switch (details.kind) {
    case 'relay-probes':
      return details.probes.map(({ form, mailFrom, rcptTo, mail, control, controlAccepted, probe, outcome, reason, deferral }) => ({
        form,
        mailFrom,
        rcptTo,
        mail: mail ? replySummary(mail) : '(no reply)',
        control: control ? replySummary(control) : null,
        controlAccepted,
        probe: probe ? replySummary(probe) : null,
        outcome,
        reason,
        deferral,
      }));
    case 'deferral': {
      const { deferral, answered, asked } = details;
      return { deferral, ...(answered === undefined ? {} : { answered }), ...(asked === undefined ? {} : { asked }) };
    }
    case 'dane-match':
      return { matched: details.matched, records: details.records, baseDomain: details.baseDomain };
    case 'dane-failure':
      return { reason: details.reason, records: details.records, baseDomain: details.baseDomain };
    case 'reported':
      return details.json;
  }
}
