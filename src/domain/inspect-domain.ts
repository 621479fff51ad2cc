import type { Evidence } from '../checks/evidence.js';
import { linesEvidence } from '../checks/evidence.js';
import type { CheckDefinition, CheckResult } from '../checks/check.js';
import { inconclusive, info } from '../checks/check.js';
import type { CheckTarget } from '../checks/context.js';
import { CheckContext } from '../checks/context.js';
import type { TlsClientOptions } from '../core/tls-options.js';
import type { RunOptions } from '../checks/runner.js';
import { runChecks } from '../checks/runner.js';
import type { DnsResolver } from '../core/dns/resolver.js';
import { CheckNotApplicable } from '../checks/check.js';
import { SmtpCheckError, TlsError } from '../core/errors.js';
import type { DomainCheckId, StsPolicyState, StsRecordState, TargetProbe, TlsaState } from './domain-checks.js';
import { daneOutcome, dnssecOutcome, domainResult, mxAddressesOutcome, mxReachableOutcome, mxRecordsOutcome, stsMatchOutcome, stsPolicyOutcome, stsPolicyState, stsRecordOutcome, tlsRptOutcome } from './domain-checks.js';
import { parseStsPolicy, parseStsRecords } from './mta-sts.js';
import { NO_TRUST_ANCHORS_PEM } from './presented-chain.js';
import { tlsaBaseDomains } from './dane.js';
import type { PolicyFetch } from './mta-sts-fetch.js';
import { fetchStsPolicy } from './mta-sts-fetch.js';
import type { MxDiscovery } from './mx-discovery.js';
import { describeAnswer, discoverMx, isBogus } from './mx-discovery.js';
import { parseTlsRptRecords } from './tls-rpt.js';
import type { AddressGuard, Destination } from './address-guard.js';

/**
 * `smtpcheck domain` without the command line: from a domain name to the verdicts of
 * its DNS, MTA-STS and TLS-RPT records, and of every MX address (docs/domain.md).
 * Targets are probed in parallel; the MTA checks of `smtpcheck check` run on each.
 */

export interface DomainTarget {
  host: string;
  address: string;
  port: number;
  preference: number;
  /** Where to look for TLSA records, in order (RFC 7672 §2.2.2; see tlsaBaseDomains). */
  tlsaBaseDomains: readonly string[];
}

export interface DomainTargetResult extends DomainTarget {
  checks: CheckResult[];
}

export interface DomainInspection {
  domain: string;
  checks: CheckResult[];
  targets: DomainTargetResult[];
}

export interface DomainInspectionOptions {
  domain: string;
  resolver: DnsResolver;
  /** The SMTP port on every MX address (25; other ports for labs). */
  port: number;
  /** Trust anchors for the MTA-STS fetch (--tls-ca), instead of the system roots. */
  caPem?: string;
  /** The HTTPS port of the MTA-STS fetch (443; other ports for labs). */
  stsPort?: number;
  fetchTimeoutMs: number;
  /** Whether a domain check id is part of the run (--checks). */
  wanted: (id: DomainCheckId) => boolean;
  /** The MTA checks to run on every reachable target. */
  mtaChecks: readonly CheckDefinition[];
  /** The check target for one MX address, with the run's connection settings. */
  checkTarget: (target: DomainTarget) => Promise<CheckTarget>;
  runOptions?: RunOptions;
  /** The address ranges the run may contact (--only-addresses); none: any address DNS names. */
  addressGuard?: AddressGuard;
}

export async function inspectDomain(options: DomainInspectionOptions): Promise<DomainInspection> {
  const { domain, resolver } = options;
  const started = performance.now();
  const [discovery, stsRecord, tlsRpt] = await Promise.all([discoverMx(resolver, domain), lookupStsRecord(resolver, domain), lookupTxt(resolver, `_smtp._tls.${domain}`)]);
  const targets = targetsOf(discovery, options.port);
  // Every address the run would contact is known now, and none is contacted before all are allowed.
  options.addressGuard?.assertAllowed([...targets, ...(stsRecord.policyHost ? [stsRecord.policyHost] : [])]);
  const sts = await fetchPolicy(stsRecord, options);
  const elapsed = () => Math.round(performance.now() - started);
  const checks: CheckResult[] = [];
  const add = (id: DomainCheckId, outcome: Parameters<typeof domainResult>[1], evidence: readonly string[]) => {
    if (options.wanted(id)) checks.push(domainResult(id, outcome, linesEvidence(evidence), elapsed()));
  };
  add('mx-records', mxRecordsOutcome(discovery, domain), discovery.evidence);
  add('mx-addresses', mxAddressesOutcome(discovery), discovery.evidence);
  add('dnssec-signed', dnssecOutcome(discovery), discovery.evidence.slice(0, 1));
  add('mta-sts-record', stsRecordOutcome(stsRecord.record), sts.evidence.slice(0, 1));
  add('mta-sts-policy', stsPolicyOutcome(stsRecord.record, sts.policy), sts.evidence);
  add('tls-rpt-record', tlsRptOutcome(tlsRpt.state.kind === 'bogus' ? tlsRpt.state : parseTlsRptRecords(tlsRpt.state.texts)), tlsRpt.evidence);
  const results = await Promise.all(targets.map((target) => inspectTarget(target, sts.policy, options)));
  return { domain, checks, targets: results };
}

/** Every MX host × every address, A before AAAA, in preference order. */
export function targetsOf(discovery: MxDiscovery, port: number): DomainTarget[] {
  if (discovery.kind !== 'mx' && discovery.kind !== 'implicit') return [];
  return discovery.hosts.flatMap((host) => {
    const tlsaBases = tlsaBaseDomains(host.host, host.cnames, host.authenticated);
    return host.addresses.map((address) => ({ host: host.host, address, port, preference: host.preference, tlsaBaseDomains: tlsaBases }));
  });
}

type TxtState = { kind: 'texts'; texts: string[] } | { kind: 'bogus'; detail: string };

async function lookupTxt(resolver: DnsResolver, name: string): Promise<{ state: TxtState; evidence: string[] }> {
  try {
    const answer = await resolver.lookup(name, 'TXT');
    return { state: { kind: 'texts', texts: answer.records }, evidence: [describeAnswer(answer, (text) => JSON.stringify(text))] };
  } catch (error) {
    if (isBogus(error)) return { state: { kind: 'bogus', detail: error.message }, evidence: [`TXT ${name}: ${error.message}`] };
    throw error;
  }
}

interface StsLookup {
  record: StsRecordState;
  /** mta-sts.DOMAIN and the address the policy fetch would connect to, when there is a valid record and an address. */
  policyHost: Destination | null;
  evidence: string[];
}

/** The `_mta-sts` record and, when it is valid, the address of mta-sts.DOMAIN: DNS only, nothing contacted. */
async function lookupStsRecord(resolver: DnsResolver, domain: string): Promise<StsLookup> {
  const txt = await lookupTxt(resolver, `_mta-sts.${domain}`);
  const record: StsRecordState = txt.state.kind === 'bogus' ? txt.state : parseStsRecords(txt.state.texts);
  const evidence = [...txt.evidence];
  if (record.kind !== 'valid') return { record, policyHost: null, evidence };
  const host = `mta-sts.${domain}`;
  const address = (await addressesOf(resolver, host, evidence))[0];
  return { record, policyHost: address === undefined ? null : { host, address }, evidence };
}

/** The policy fetch (RFC 8461 §3.3) from the address lookupStsRecord found. */
async function fetchPolicy(sts: StsLookup, options: DomainInspectionOptions): Promise<{ policy: StsPolicyState; evidence: string[] }> {
  const evidence = [...sts.evidence];
  let fetched: PolicyFetch | null = null;
  if (sts.record.kind === 'valid') {
    fetched = await fetchStsPolicy(options.domain, { addresses: sts.policyHost ? [sts.policyHost.address] : [], ...(options.caPem ? { caPem: options.caPem } : {}), ...(options.stsPort ? { port: options.stsPort } : {}), timeoutMs: options.fetchTimeoutMs });
    evidence.push(fetched.ok ? `GET ${fetched.url} (${fetched.address}): 200, text/plain, ${Buffer.byteLength(fetched.text)} bytes` : `GET ${fetched.url}: ${fetched.detail}`);
    if (fetched.ok) evidence.push(...fetched.text.split(/\r?\n/).filter(Boolean).map((line) => `  ${line}`));
  }
  const parsed = fetched?.ok ? parseStsPolicy(fetched.text) : null;
  return { policy: stsPolicyState(sts.record, fetched, parsed), evidence };
}

async function addressesOf(resolver: DnsResolver, host: string, evidence: string[]): Promise<string[]> {
  const addresses: string[] = [];
  for (const type of ['A', 'AAAA'] as const) {
    try {
      const answer = await resolver.lookup(host, type);
      evidence.push(describeAnswer(answer, String));
      addresses.push(...answer.records);
    } catch (error) {
      if (!(error instanceof SmtpCheckError)) throw error;
      evidence.push(`${type} ${host}: ${error.message}`);
    }
  }
  return addresses;
}

async function inspectTarget(target: DomainTarget, policy: StsPolicyState, options: DomainInspectionOptions): Promise<DomainTargetResult> {
  const started = performance.now();
  const checkTarget = await options.checkTarget(target);
  const [tlsa, probed] = await Promise.all([lookupTlsa(options.resolver, target), probe(checkTarget, options.runOptions?.signal)]);
  const elapsed = Math.round(performance.now() - started);
  const checks: CheckResult[] = [];
  const add = (id: DomainCheckId, outcome: Parameters<typeof domainResult>[1], evidence: Evidence) => {
    if (options.wanted(id)) checks.push(domainResult(id, outcome, evidence, elapsed));
  };
  add('mx-reachable', mxReachableOutcome(probed.probe, target.address, target.port), probed.evidence);
  // DANE matches the chain as presented: a second session whose trust store cannot complete it.
  // The SNI is the TLSA base domain (RFC 7672 §8.1); the names DANE-TA accepts are it and the MX host name (§3.2.2).
  const baseDomain = tlsa.state.kind === 'validated' ? tlsa.state.baseDomain : target.host;
  const daneProbe = tlsa.state.kind === 'validated' && probed.probe.reachable && probed.probe.startTls === 'up' ? await probe(checkTarget, options.runOptions?.signal, { caPem: NO_TRUST_ANCHORS_PEM, servername: baseDomain }) : probed;
  const dane = daneOutcome(tlsa.state, daneProbe.probe, [...new Set([baseDomain, target.host])]);
  add('dane-tlsa', dane, [...linesEvidence(tlsa.evidence), ...daneProbe.evidence]);
  add('mta-sts-mx-match', stsMatchOutcome(policy, target.host, probed.probe), probed.evidence);
  let mta: CheckResult[];
  if (probed.probe.reachable) {
    mta = await runChecks(options.mtaChecks, checkTarget, options.runOptions);
  } else {
    // Never a pass for a server that did not answer: nothing was tested.
    const outcome = inconclusive(`not tested: ${target.address}:${target.port} did not answer (see mx-reachable)`);
    mta = options.mtaChecks.map((check) => ({ id: check.id, title: check.title, verdict: outcome.verdict, severity: typeof check.severity === 'function' ? check.severity('mta') : check.severity, summary: outcome.summary, evidence: [], fix: null, durationMs: 0 }));
  }
  if (dane.verdict === 'pass') mta = mta.map(authenticatedByDane);
  return { ...target, checks: [...checks, ...mta] };
}

/** RFC 7672 §3.1: with DANE the WebPKI chain and name do not matter for this MX. */
function authenticatedByDane(result: CheckResult): CheckResult {
  if ((result.id !== 'cert-chain-trusted' && result.id !== 'cert-hostname') || (result.verdict !== 'fail' && result.verdict !== 'warn' && result.verdict !== 'info')) return result;
  const outcome = info(`authenticated by DANE (see dane-tlsa); without it: ${result.summary}`);
  return { ...result, verdict: outcome.verdict, summary: outcome.summary, fix: null };
}

/**
 * The TLSA records at _PORT._tcp.BASE for each TLSA base domain in turn (RFC 7672
 * §2.2.2): the first name with records decides; a bogus or unanswered lookup stops
 * the search, as a sender stops; no records anywhere is "none".
 */
async function lookupTlsa(resolver: DnsResolver, target: DomainTarget): Promise<{ state: TlsaState; evidence: string[] }> {
  const evidence: string[] = [];
  const names: string[] = [];
  for (const baseDomain of target.tlsaBaseDomains) {
    const name = `_${target.port}._tcp.${baseDomain}`;
    names.push(name);
    try {
      const answer = await resolver.lookup(name, 'TLSA');
      evidence.push(describeAnswer(answer, (record) => `${record.usage} ${record.selector} ${record.matchingType} ${record.data.toString('hex')}`));
      if (answer.status === 'records') return { state: answer.authenticated ? { kind: 'validated', name, baseDomain, records: answer.records } : { kind: 'unsigned', name, records: answer.records }, evidence };
    } catch (error) {
      if (isBogus(error)) return { state: { kind: 'bogus', name }, evidence: [...evidence, `TLSA ${name}: ${error.message}`] };
      // A resolver that times out on one TLSA query leaves this target's DANE unjudged, not the whole run.
      if (error instanceof SmtpCheckError) return { state: { kind: 'unanswered', name, problem: error.message }, evidence: [...evidence, `TLSA ${name}: ${error.message}`] };
      throw error;
    }
  }
  return { state: { kind: 'none', name: names.join(' or ') }, evidence };
}

/** One session: connect, greeting, EHLO, STARTTLS with the MX name as SNI; what it found is the probe. */
async function probe(target: CheckTarget, signal: AbortSignal | undefined, tlsOptions: Partial<TlsClientOptions> = {}): Promise<{ probe: TargetProbe; evidence: Evidence }> {
  const context = new CheckContext(target, signal);
  let found: TargetProbe;
  try {
    const session = await context.open('tls', { tlsOptions });
    found = { reachable: true, startTls: 'up', tls: session.tls! };
  } catch (error) {
    if (error instanceof CheckNotApplicable) found = { reachable: true, startTls: 'not-offered' };
    else if (error instanceof TlsError) found = { reachable: true, startTls: 'failed', problem: error.message };
    else if (error instanceof SmtpCheckError) found = { reachable: false, problem: error.message };
    else throw error;
  } finally {
    await context.closeAll();
  }
  return { probe: found, evidence: context.evidence() };
}
