import type { Evidence } from '../checks/evidence.js';
import type { CheckOutcome, CheckResult, Severity } from '../checks/check.js';
import { fail, inconclusive, info, pass, skip, warn } from '../checks/check.js';
import { isFinding } from '../checks/verdict-policy.js';
import type { TlsaRecord } from '../core/dns/resolver.js';
import type { TlsSessionInfo } from '../core/tls-session.js';
import { verificationFailure } from '../core/tls-session.js';
import { authenticateChain, describeTlsa, isUsableTlsa } from './dane.js';
import type { StsPolicy, StsRecordResult } from './mta-sts.js';
import { MAX_STS_MAX_AGE, mxMatchesPattern } from './mta-sts.js';
import type { PolicyFetch } from './mta-sts-fetch.js';
import type { MxDiscovery } from './mx-discovery.js';
import type { TlsRptResult } from './tls-rpt.js';

/**
 * The checks of `smtpcheck domain` that are not `smtpcheck check`'s (docs/checks.md
 * has a section for each id): metadata, and each verdict rule as a pure function of
 * what the DNS, the HTTPS fetch and the target's probe found.
 */
export interface DomainCheckInfo {
  title: string;
  severity: Severity;
  fix: string;
}

export const DOMAIN_CHECKS = {
  'mx-records': { title: 'MX records name mail hosts', severity: 'high', fix: 'publish MX records that name host names with A/AAAA records (not CNAMEs, not IP addresses); a domain without mail publishes "MX 0 ." (RFC 7505)' },
  'mx-addresses': { title: 'Every MX host has an address', severity: 'high', fix: 'give every MX host an A and/or AAAA record, or remove the MX record' },
  'dnssec-signed': { title: 'MX answer validated by DNSSEC', severity: 'med', fix: 'sign the zone (DNSSEC) and publish the DS at the parent; a bogus answer means broken signatures or a DS that does not match the keys' },
  'mta-sts-record': { title: 'MTA-STS record', severity: 'med', fix: 'publish one TXT record at _mta-sts.DOMAIN: "v=STSv1; id=<1-32 letters and digits>" (RFC 8461 §3.1)' },
  'mta-sts-policy': { title: 'MTA-STS policy', severity: 'med', fix: 'serve https://mta-sts.DOMAIN/.well-known/mta-sts.txt as text/plain, without redirects, with a certificate for mta-sts.DOMAIN: version: STSv1, mode, mx and max_age lines (RFC 8461 §3.2, §3.3)' },
  'tls-rpt-record': { title: 'TLS-RPT record', severity: 'low', fix: 'publish one TXT record at _smtp._tls.DOMAIN: "v=TLSRPTv1; rua=mailto:tls-reports@DOMAIN" (RFC 8460 §3)' },
  'mx-reachable': { title: 'MX address answers with 220', severity: 'high', fix: 'make the MX listen on port 25 of every address it publishes, or remove the address from DNS' },
  'dane-tlsa': { title: 'DANE TLSA matches the certificate', severity: 'high', fix: 'publish TLSA records that match the certificate the server presents (e.g. "3 1 1" of the key), update them before changing keys (RFC 7671 §8.1), and keep the zone signed' },
  'mta-sts-mx-match': { title: 'MX matches the MTA-STS policy', severity: 'high', fix: 'list the MX host in the policy\'s mx: lines (wildcards cover one label) and give it a certificate for its name from a public CA' },
} as const satisfies Record<string, DomainCheckInfo>;

export type DomainCheckId = keyof typeof DOMAIN_CHECKS;
export const DOMAIN_WIDE_IDS: readonly DomainCheckId[] = ['mx-records', 'mx-addresses', 'dnssec-signed', 'mta-sts-record', 'mta-sts-policy', 'tls-rpt-record'];
export const PER_TARGET_IDS: readonly DomainCheckId[] = ['mx-reachable', 'dane-tlsa', 'mta-sts-mx-match'];

/** A result in the shape of every other check's (src/checks/check.ts), so reports, JSON and exit codes treat it alike. */
export function domainResult(id: DomainCheckId, outcome: CheckOutcome, evidence: Evidence, durationMs = 0): CheckResult {
  const check = DOMAIN_CHECKS[id];
  return {
    id,
    title: check.title,
    verdict: outcome.verdict,
    severity: outcome.severity ?? check.severity,
    summary: outcome.summary,
    evidence: outcome.evidence ?? evidence,
    fix: outcome.fix ?? (isFinding(outcome.verdict) ? check.fix : null),
    durationMs,
    ...(outcome.details !== undefined ? { details: outcome.details } : {}),
  };
}

export function mxRecordsOutcome(discovery: MxDiscovery, domain: string): CheckOutcome {
  switch (discovery.kind) {
    case 'bogus':
      return fail(`the MX answer is bogus (SERVFAIL from a validating resolver): senders cannot deliver, and smtpcheck does not fall back to the implicit MX`);
    case 'nxdomain':
      return fail(`${domain} does not exist (NXDOMAIN)`);
    case 'null-mx':
      return info('Null MX "0 ." (RFC 7505): the domain accepts no mail');
    case 'implicit':
      return discovery.hosts[0]!.addresses.length > 0
        ? warn(`no MX records: senders use the implicit MX, ${domain}'s own address (RFC 5321 §5.1)`)
        : fail(`no MX records and no address for ${domain}: the domain cannot receive mail`);
    case 'mx': {
      const problems = [
        ...discovery.ipLiterals.map((literal) => `MX names the IP address ${literal}, not a host name (RFC 5321 §5.1)`),
        ...discovery.hosts.filter((host) => host.cnames.length > 0).map((host) => `MX ${host.host} is a CNAME (→ ${host.cnames.join(' → ')}); an MX must name a host (RFC 2181 §10.3)`),
      ];
      if (problems.length > 0) return fail(problems.join('; '));
      return pass(`${discovery.hosts.length} MX record${discovery.hosts.length === 1 ? '' : 's'}: ${discovery.hosts.map((host) => `${host.preference} ${host.host}`).join(', ')}`);
    }
  }
}

export function mxAddressesOutcome(discovery: MxDiscovery): CheckOutcome {
  if (discovery.kind !== 'mx' && discovery.kind !== 'implicit') return skip('no MX hosts to resolve (see mx-records)');
  if (discovery.hosts.length === 0) return fail('no MX names a host that could have an address');
  const missing = discovery.hosts.filter((host) => host.addresses.length === 0);
  // A validating resolver answers SERVFAIL for bogus DNSSEC and for a CNAME loop alike; a stub cannot tell them apart.
  if (missing.length > 0) return fail(missing.map((host) => `${host.host} ${host.bogus ? 'has no address: the resolver answered SERVFAIL (bogus DNSSEC, a CNAME loop, or a zone it cannot reach)' : 'resolves to no address (no A, no AAAA)'}`).join('; '));
  return pass(discovery.hosts.map((host) => `${host.host} → ${host.addresses.join(', ')}`).join('; '));
}

export function dnssecOutcome(discovery: MxDiscovery): CheckOutcome {
  if (discovery.kind === 'bogus') return fail('the MX answer is bogus: DNSSEC validation failed at the resolver (SERVFAIL)');
  if (discovery.authenticated) return pass(`the MX answer${discovery.kind === 'implicit' ? ' (NODATA)' : discovery.kind === 'nxdomain' ? ' (NXDOMAIN)' : ''} is validated by DNSSEC (AD set)`);
  return warn('the zone is not signed: the MX answer is not validated, so DANE cannot apply (RFC 7672 §2.2)');
}

/** The `_mta-sts` lookup: the parsed records, or a bogus answer. */
export type StsRecordState = StsRecordResult | { kind: 'bogus'; detail: string };

export function stsRecordOutcome(state: StsRecordState): CheckOutcome {
  switch (state.kind) {
    case 'absent':
      return skip('no _mta-sts TXT record starting with "v=STSv1;": the domain publishes no MTA-STS policy');
    case 'bogus':
      return fail(`the _mta-sts answer is bogus: ${state.detail}`);
    case 'several':
      return fail(`${state.records.length} _mta-sts records: senders use none of them (RFC 8461 §3.1)`);
    case 'malformed':
      return fail(`malformed _mta-sts record ${JSON.stringify(state.record)}: ${state.problem}`);
    case 'valid':
      return pass(`"${state.record}"`);
  }
}

/** What the policy came to: none published, none usable, or one in force. */
export type StsPolicyState = { kind: 'absent' } | { kind: 'unusable'; why: string } | { kind: 'policy'; policy: StsPolicy; url: string };

export function stsPolicyState(record: StsRecordState, fetched: PolicyFetch | null, parsed: { policy: StsPolicy } | { problem: string } | null): StsPolicyState {
  if (record.kind === 'absent') return { kind: 'absent' };
  if (record.kind !== 'valid') return { kind: 'unusable', why: 'the _mta-sts record is not usable' };
  if (!fetched || !fetched.ok) return { kind: 'unusable', why: `the policy fetch failed${fetched ? `: ${fetched.detail}` : ''}` };
  if (!parsed || 'problem' in parsed) return { kind: 'unusable', why: `the policy does not parse${parsed ? `: ${parsed.problem}` : ''}` };
  return { kind: 'policy', policy: parsed.policy, url: fetched.url };
}

export function stsPolicyOutcome(record: StsRecordState, state: StsPolicyState): CheckOutcome {
  if (record.kind === 'absent') return skip('no _mta-sts record: no policy to fetch');
  if (state.kind === 'unusable') return record.kind === 'valid' ? fail(state.why) : skip(`no usable _mta-sts record (see mta-sts-record): ${state.why}`);
  if (state.kind !== 'policy') return skip('no policy');
  const { policy } = state;
  return pass(`${state.url}: mode ${policy.mode}, mx ${policy.mx.join(', ') || '(none)'}, max_age ${policy.maxAge} (≤ ${MAX_STS_MAX_AGE})`);
}

export function tlsRptOutcome(state: TlsRptResult | { kind: 'bogus'; detail: string }): CheckOutcome {
  switch (state.kind) {
    case 'absent':
      return info('no _smtp._tls record: senders send no TLS reports (RFC 8460)');
    case 'bogus':
      return fail(`the _smtp._tls answer is bogus: ${state.detail}`);
    case 'malformed':
      return fail(`malformed TLS-RPT record ${JSON.stringify(state.record)}: ${state.problem}`);
    case 'valid':
      return pass(`reports go to ${state.rua.join(', ')}`);
  }
}

/** What one session to an MX address found, for the per-target checks. */
export type TargetProbe =
  | { reachable: false; problem: string }
  | { reachable: true; startTls: 'not-offered' }
  | { reachable: true; startTls: 'failed'; problem: string }
  | { reachable: true; startTls: 'up'; tls: TlsSessionInfo };

export function mxReachableOutcome(probe: TargetProbe, address: string, port: number): CheckOutcome {
  return probe.reachable ? pass(`${address}:${port} greets with 220`) : fail(`${address}:${port}: ${probe.problem}`);
}

/** The TLSA lookup at _PORT._tcp.BASE (RFC 7672 §2.2); `baseDomain` is the TLSA base domain where the records were found. */
export type TlsaState =
  | { kind: 'none'; name: string }
  | { kind: 'bogus'; name: string }
  | { kind: 'unanswered'; name: string; problem: string }
  | { kind: 'unsigned'; name: string; records: TlsaRecord[] }
  | { kind: 'validated'; name: string; baseDomain: string; records: TlsaRecord[] };

export function daneOutcome(tlsa: TlsaState, probe: TargetProbe, names: readonly string[]): CheckOutcome {
  switch (tlsa.kind) {
    case 'none':
      return skip(`no TLSA records at ${tlsa.name}`);
    case 'bogus':
      return fail(`the TLSA answer at ${tlsa.name} is bogus (SERVFAIL): DANE senders will not deliver (RFC 7672 §2.2)`);
    case 'unsigned':
      return info(`${tlsa.records.length} TLSA record(s) at ${tlsa.name} in an unsigned zone: unusable, senders ignore them (RFC 7672 §2.2)`);
    case 'unanswered':
      return { verdict: 'error', summary: `no answer to judge for TLSA ${tlsa.name}: ${tlsa.problem}` };
    case 'validated':
      break;
  }
  if (!probe.reachable) return inconclusive(`TLSA published, but the server did not answer: ${probe.problem}`);
  if (probe.startTls === 'not-offered') return fail(`TLSA published at ${tlsa.name} but STARTTLS is not offered: DANE senders will not deliver (RFC 7672 §2.2)`);
  if (probe.startTls === 'failed') return fail(`TLSA published at ${tlsa.name} but the TLS handshake failed: ${probe.problem}`);
  if (!tlsa.records.some(isUsableTlsa)) return warn(`no usable TLSA record at ${tlsa.name} (usages 2 and 3 only, RFC 7672 §3.1): senders fall back to unauthenticated TLS`);
  const verdict = authenticateChain(tlsa.records, probe.tls.chain.map((cert) => Buffer.from(cert.derBase64, 'base64')), names);
  if (verdict.authenticated) {
    const what = verdict.match.record.usage === 3 ? 'the server key (DANE-EE)' : `certificate ${verdict.match.chainIndex} of the chain (DANE-TA)`;
    return pass(`TLSA ${describeTlsa(verdict.match.record)} at ${tlsa.name} matches ${what}`, { details: { kind: 'dane-match', matched: describeTlsa(verdict.match.record), records: tlsa.records.length, baseDomain: tlsa.baseDomain } });
  }
  return fail(`${verdict.problem} (TLSA at ${tlsa.name}: ${tlsa.records.map(describeTlsa).join(', ')})`, { details: { kind: 'dane-failure', reason: verdict.reason, records: tlsa.records.length, baseDomain: tlsa.baseDomain } });
}

export function stsMatchOutcome(state: StsPolicyState, host: string, probe: TargetProbe): CheckOutcome {
  if (state.kind === 'absent') return skip('no MTA-STS policy');
  if (state.kind === 'unusable') return skip(`no usable policy (RFC 8461 §5): ${state.why}`);
  const { policy } = state;
  if (policy.mode === 'none') return skip('policy mode none: MTA-STS is switched off');
  const miss = policy.mode === 'enforce' ? fail : warn;
  const mode = `(mode ${policy.mode})`;
  if (!policy.mx.some((pattern) => mxMatchesPattern(host, pattern))) return miss(`${host} matches no mx pattern of the policy (${policy.mx.join(', ')}) ${mode}`);
  if (!probe.reachable) return inconclusive(`${host} is in the policy, but the server did not answer: ${probe.problem}`);
  if (probe.startTls !== 'up') return miss(`${host} is in the policy but ${probe.startTls === 'not-offered' ? 'offers no STARTTLS' : `its TLS handshake failed: ${probe.problem}`} ${mode}`);
  const failure = verificationFailure(probe.tls);
  if (failure) return miss(`${host} is in the policy but its ${failure} (RFC 8461 §4.2) ${mode}`);
  return pass(`${host} matches the policy and presents a trusted certificate for its name ${mode}`);
}
