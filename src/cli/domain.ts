import { readFileSync } from 'node:fs';
import { isIP } from 'node:net';
import type { CheckDefinition, CheckResult } from '../checks/check.js';
import { CHECKS } from '../checks/registry.js';
import { DnsResolver } from '../core/dns/resolver.js';
import type { ResolverAddress } from '../core/dns/transport.js';
import { formatResolver } from '../core/dns/transport.js';
import { UsageError } from '../core/errors.js';
import { AddressGuard, parseAddressRange } from '../domain/address-guard.js';
import type { Transcript } from '../core/transcript.js';
import type { DomainCheckId } from '../domain/domain-checks.js';
import { DOMAIN_CHECKS } from '../domain/domain-checks.js';
import type { DomainInspection } from '../domain/inspect-domain.js';
import { inspectDomain } from '../domain/inspect-domain.js';
import { renderDomainReport } from '../render/domain-report.js';
import type { TargetFlags } from '../options/check-target.js';
import { CHECK_HELO_NAME, checkTargetFor, DOMAIN } from '../options/check-target.js';
import type { ConnectionOverrides } from '../options/connection-options.js';
import { connectionSpecWith } from '../options/connection-options.js';
import { domainJson } from '../render/json-report.js';
import { hintFor } from '../outcome/error-hints.js';
import { ExitCode, exitCodeForResults } from '../outcome/exit-codes.js';
import { interruptible } from './interrupt.js';
import type { OutputFlags } from './output.js';
import { CommandOutput } from './output.js';
import { parsePort } from '../options/target.js';
import type { TargetResults } from '../checks/baseline.js';
import type { BaselineFlags } from './baseline-gate.js';
import { BaselineGate } from './baseline-gate.js';
import { ConnectionSlots } from '../checks/connection-slots.js';
import type { ReportedSuite } from '../render/report-formats.js';
import type { ReportFormatFlags } from './report-formats.js';
import { writeReportFormats } from './report-formats.js';

export interface DomainFlags extends TargetFlags, OutputFlags, BaselineFlags, ReportFormatFlags {
  resolver?: string[];
  checks?: string;
  skip?: string;
  strict?: boolean;
  verbose?: boolean;
  mtaStsPort?: string;
  onlyAddresses?: string;
}

const RESOLV_CONF = '/etc/resolv.conf';

/** `--resolver IP[:PORT]`: an address, not a name (a name would need a resolver to find the resolver). */
export function parseResolver(text: string): ResolverAddress {
  const bracketed = /^\[([^\]]+)\](?::(\d+))?$/.exec(text);
  const [host, port] = bracketed ? [bracketed[1]!, bracketed[2]] : isIP(text) === 6 ? [text, undefined] : (text.split(/:(?=\d+$)/) as [string, string?]);
  if (isIP(host) === 0) throw new UsageError(`--resolver ${JSON.stringify(text)} is not an IP address`, 'give the resolver as IP[:PORT], e.g. --resolver 127.0.0.1 or --resolver [::1]:5353');
  return { host, port: port === undefined ? 53 : parsePort(port, '--resolver') };
}

/** The nameservers of resolv.conf(5), in order. */
export function resolversFromResolvConf(text: string): ResolverAddress[] {
  return text
    .split('\n')
    .map((line) => /^\s*nameserver\s+(\S+)/.exec(line)?.[1])
    .filter((address): address is string => address !== undefined && isIP(address.replace(/%.*$/, '')) !== 0)
    .map((address) => ({ host: address.replace(/%.*$/, ''), port: 53 }));
}

function resolversFrom(flags: DomainFlags): ResolverAddress[] {
  if (flags.resolver && flags.resolver.length > 0) return flags.resolver.flatMap((value) => value.split(',')).map((value) => parseResolver(value.trim()));
  let text = '';
  try {
    text = readFileSync(RESOLV_CONF, 'utf8');
  } catch {
    // handled below: no resolver at all
  }
  const found = resolversFromResolvConf(text);
  if (found.length === 0) throw new UsageError(`no nameserver in ${RESOLV_CONF}`, 'name a validating resolver with --resolver IP[:PORT]');
  return found;
}

/**
 * `--only-addresses CIDR,...`, else SMTPCHECK_ONLY_ADDRESSES: the ranges the run may
 * contact (docs/domain.md#address-guard). Neither: no guard, as a sending MTA has none.
 */
export function addressGuardFrom(flags: DomainFlags, env: NodeJS.ProcessEnv = process.env): AddressGuard | undefined {
  const fromFlag = flags.onlyAddresses !== undefined;
  const text = fromFlag ? flags.onlyAddresses! : env.SMTPCHECK_ONLY_ADDRESSES;
  if (!fromFlag && (text === undefined || text.trim() === '')) return undefined;
  const source = fromFlag ? '--only-addresses' : 'SMTPCHECK_ONLY_ADDRESSES';
  const parts = text!.split(',').map((part) => part.trim()).filter(Boolean);
  const hint = 'give address ranges as CIDR, comma-separated, e.g. 127.0.0.0/8,::1/128 or 203.0.113.0/24';
  if (parts.length === 0) throw new UsageError(`${source} names no address range`, hint);
  return new AddressGuard(
    parts.map((part) => {
      const range = parseAddressRange(part);
      if (!range) throw new UsageError(`${source}: ${JSON.stringify(part)} is not an address range`, hint);
      return range;
    }),
  );
}

export function domainNameFrom(text: string): string {
  const name = text.trim().replace(/\.$/, '').toLowerCase();
  if (!DOMAIN.test(name) || !name.includes('.') || isIP(name) !== 0) throw new UsageError(`${JSON.stringify(text)} is not a domain name`, 'give a mail domain like example.org (the part after @)');
  return name;
}

export const isDomainCheckId = (id: string): id is DomainCheckId => Object.hasOwn(DOMAIN_CHECKS, id);

/** --checks and --skip over both kinds of ids: the domain's own and the MTA checks of `check`. */
function selection(flags: DomainFlags): { wanted: (id: DomainCheckId) => boolean; mtaChecks: CheckDefinition[] } {
  const ids = (list: string | undefined, flag: string): Set<string> => {
    const parsed = new Set((list ?? '').split(',').map((id) => id.trim()).filter(Boolean));
    for (const id of parsed) {
      if (!isDomainCheckId(id) && !CHECKS.some((check) => check.id === id)) throw new UsageError(`${flag}: unknown check id ${id}`, 'see docs/checks.md for the ids; `smtpcheck check --list` lists the MTA checks');
    }
    return parsed;
  };
  const only = flags.checks ? ids(flags.checks, '--checks') : null;
  const skipped = ids(flags.skip, '--skip');
  const chosen = (id: string): boolean => (only === null || only.has(id)) && !skipped.has(id);
  return { wanted: chosen, mtaChecks: CHECKS.filter((check) => check.roles.includes('mta') && chosen(check.id)) };
}

export interface DomainRun {
  inspection: DomainInspection;
  /** The resolvers asked, as host:port. */
  resolvers: string[];
  durationMs: number;
}

/** The flags of `domain` (or a suite's domain target) turned into a finished inspection; Ctrl-C through `signal`. */
/**
 * `suite`: a suite's `domain:` target, whose MX addresses draw on the suite's
 * connection bound and take its connection entries as values.
 */
export async function runDomainInspection(domainArgument: string, flags: DomainFlags, transcript: Transcript, signal: AbortSignal, suite?: { slots: ConnectionSlots; connection: ConnectionOverrides }): Promise<DomainRun> {
  if (flags.server) throw new UsageError('domain finds its servers in DNS: --server does not apply', 'drop --server; use --port N for a lab whose MX listen on another port');
  const domain = domainNameFrom(domainArgument);
  const resolvers = resolversFrom(flags);
  const resolver = new DnsResolver({ resolvers });
  const port = flags.port === undefined ? 25 : parsePort(flags.port, '--port');
  const stsPort = flags.mtaStsPort === undefined ? undefined : parsePort(flags.mtaStsPort, '--mta-sts-port');
  const { wanted, mtaChecks } = selection(flags);
  const addressGuard = addressGuardFrom(flags);
  const caFile = suite?.connection.caFile ?? flags.tlsCa;
  const caPem = caFile ? readFileSync(caFile, 'utf8') : undefined;
  const started = performance.now();
  const inspection = await inspectDomain({
    domain,
    resolver,
    port,
    ...(caPem ? { caPem } : {}),
    ...(stsPort ? { stsPort } : {}),
    fetchTimeoutMs: MTA_STS_FETCH_TIMEOUT_MS,
    ...(addressGuard ? { addressGuard } : {}),
    wanted,
    mtaChecks,
    checkTarget: async (target) => {
      // The MX host name is the TLS name (SNI and the certificate's name, RFC 7672 §3.2.2 / RFC 8461 §4.2).
      const connection = connectionSpecWith({ host: target.address, port: target.port }, { ...suite?.connection, servername: target.host }, flags, CHECK_HELO_NAME);
      const checkTarget = await checkTargetFor(connection, { ...flags, role: 'mta', localDomain: domain }, transcript);
      // In a suite, every MX address draws on the run's one connection bound (max-connections), as server targets do.
      if (suite) checkTarget.slots = new ConnectionSlots(suite.slots.size, suite.slots);
      return checkTarget;
    },
    runOptions: { signal, explainError: hintFor },
  });
  return { inspection, resolvers: resolvers.map(formatResolver), durationMs: Math.round(performance.now() - started) };
}

// RFC 8461 §3.3 leaves the fetch timeout to the sender; a policy is a few hundred
// bytes, and a server slower than this would hold up every run.
const MTA_STS_FETCH_TIMEOUT_MS = 10_000;

/** Every result of an inspection, domain-wide first, for exit codes and counts. */
export const allResults = (inspection: DomainInspection): CheckResult[] => [...inspection.checks, ...inspection.targets.flatMap((target) => target.checks)];

/** `smtpcheck domain DOMAIN`: every MX address of a domain, with DNSSEC, DANE, MTA-STS and TLS-RPT (docs/domain.md). */
export async function runDomainCommand(domainArgument: string, flags: DomainFlags): Promise<number> {
  const output = new CommandOutput('domain', flags);
  try {
    const gate = BaselineGate.from(flags, isKnownCheckId);
    const { value: run, interrupted } = await interruptible((signal) => runDomainInspection(domainArgument, flags, output.transcript, signal));
    const { inspection } = run;
    gate.apply(output, baselineTargets(inspection), interrupted);
    output.print(renderDomainReport(inspection, run.resolvers, output.palette, { verbose: flags.verbose ?? false, durationMs: run.durationMs }).join('\n'));
    const all = allResults(inspection);
    const exitCode = gate.exitCode(interrupted ? ExitCode.interrupted : exitCodeForResults(all, flags.strict ?? false));
    if (flags.quiet) output.summary(`${inspection.domain}: ${inspection.targets.length} MX addresses, ${all.filter((result) => result.verdict === 'fail').length} failed (exit ${exitCode})`, exitCode === ExitCode.ok);
    await writeReportFormats(flags, [...reportedSuites(inspection, run.durationMs), ...gate.suites()]);
    return output.finish({ ...domainJson(inspection, run.durationMs), ...gate.json() }, exitCode);
  } catch (error) {
    return output.fail(error);
  }
}

/** Every check id `domain` can run: the MTA checks and its own. */
export const isKnownCheckId = (id: string): boolean => CHECKS.some((check) => check.id === id) || isDomainCheckId(id);

/** A domain's results for JUnit and annotations: the domain-wide checks, then one suite per MX address (named as in baselineTargets). */
export function reportedSuites(inspection: DomainInspection, durationMs: number): ReportedSuite[] {
  return baselineTargets(inspection).map((target) => ({ ...target, durationMs }));
}

/** A domain's results as baseline targets: the domain-wide checks under the domain, each MX address under "HOST ADDRESS:PORT". */
export function baselineTargets(inspection: DomainInspection): TargetResults[] {
  return [
    { name: inspection.domain, results: inspection.checks },
    ...inspection.targets.map((target) => ({ name: `${target.host} ${target.address}:${target.port}`, results: target.checks })),
  ];
}

