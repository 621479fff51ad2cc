import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { Verdict } from '../../src/checks/check.js';
import type { DaneFailure } from '../../src/checks/evidence.js';
import { ExitCode } from '../../src/outcome/exit-codes.js';
import type { CliResult } from '../e2e/postfix-lab.js';
import { runCli } from '../e2e/postfix-lab.js';
import { dnsLab } from './dns-lab.js';
import type { LabServers } from './lab-servers.js';
import { startLabServers } from './lab-servers.js';

/**
 * Every zone of the DNS lab (test/lab/dns/start.sh) through the real CLI, against the
 * real NSD and validating Unbound: each verdict of the domain checks proven both ways.
 * `null` for a domain-wide id: the check must not be reported at all.
 */
interface Expected {
  domain: Partial<Record<string, Verdict>>;
  /** Per target, in report order: host, address octet (or 'v6'), verdicts, and what dane-tlsa's details must hold (why it failed, where it found TLSA). */
  targets: { host: string; address: string; verdicts: Partial<Record<string, Verdict>>; dane?: DaneDetails }[];
  exitCode: number;
}

const DOMAIN_IDS = 'mx-records,mx-addresses,dnssec-signed,mta-sts-record,mta-sts-policy,tls-rpt-record,mx-reachable,dane-tlsa,mta-sts-mx-match,starttls-offered,cert-chain-trusted,cert-hostname';
const NO_STS = { 'mta-sts-record': 'skip', 'mta-sts-policy': 'skip' } as const;
interface DaneDetails {
  reason?: DaneFailure;
  baseDomain?: string;
}
const target = (host: string, address: string, verdicts: Partial<Record<string, Verdict>>, dane?: DaneDetails) => ({ host, address, verdicts, ...(dane ? { dane } : {}) });

const EXPECTED: Record<string, Expected> = {
  'tlsa-mismatch.test': { domain: { 'dnssec-signed': 'pass', ...NO_STS, 'tls-rpt-record': 'info' }, targets: [target('mx.tlsa-mismatch.test', '21', { 'mx-reachable': 'pass', 'dane-tlsa': 'fail', 'mta-sts-mx-match': 'skip' }, { reason: 'no-match' })], exitCode: ExitCode.checksFailed },
  'tlsa-bogus.test': { domain: { 'dnssec-signed': 'pass' }, targets: [target('mx.tlsa-bogus.test', '22', { 'dane-tlsa': 'fail' })], exitCode: ExitCode.checksFailed },
  'tlsa-unsigned.test': { domain: { 'dnssec-signed': 'warn' }, targets: [target('mx.tlsa-unsigned.test', '23', { 'dane-tlsa': 'info' })], exitCode: ExitCode.ok },
  'tlsa-rollover.test': { domain: { 'dnssec-signed': 'pass' }, targets: [target('mx.tlsa-rollover.test', '24', { 'dane-tlsa': 'pass' })], exitCode: ExitCode.ok },
  // 30 TLSA records: truncated over UDP, fetched over TCP, one matches.
  'tlsa-big.test': { domain: { 'dnssec-signed': 'pass' }, targets: [target('mx.tlsa-big.test', '24', { 'dane-tlsa': 'pass' })], exitCode: ExitCode.ok },
  // --tls-ca trusts the lab CA, so only a match against the chain as presented fails it.
  'tlsa-ta-unsent.test': { domain: {}, targets: [target('mx.tlsa-ta-unsent.test', '38', { 'dane-tlsa': 'fail', 'cert-chain-trusted': 'pass' }, { reason: 'no-match' })], exitCode: ExitCode.checksFailed },
  // The leaf expired in 2021: DANE-TA checks its dates and fails, DANE-EE does not and passes.
  'tlsa-ta-expired.test': { domain: {}, targets: [target('mx.tlsa-ta-expired.test', '40', { 'dane-tlsa': 'fail', 'cert-chain-trusted': 'fail' }, { reason: 'ta-out-of-date' })], exitCode: ExitCode.checksFailed },
  'tlsa-ee-expired.test': { domain: {}, targets: [target('mx.tlsa-ee-expired.test', '40', { 'dane-tlsa': 'pass', 'cert-chain-trusted': 'info' })], exitCode: ExitCode.ok },
  // Aliased MX hosts (RFC 7672 §2.2.2): the expanded name first, then the MX name; an alias that does not validate moves nothing.
  'dane-cname.test': {
    domain: { 'mx-records': 'fail', 'dnssec-signed': 'pass' },
    targets: [
      target('mx.dane-cname.test', '41', { 'dane-tlsa': 'pass' }, { baseDomain: 'real.dane-cname.test' }),
      target('mx2.dane-cname.test', '42', { 'dane-tlsa': 'pass' }, { baseDomain: 'mx2.dane-cname.test' }),
      target('mx3.dane-cname.test', '23', { 'dane-tlsa': 'skip' }),
    ],
    exitCode: ExitCode.checksFailed,
  },
  'tlsa-nostarttls.test': { domain: {}, targets: [target('mx.tlsa-nostarttls.test', '25', { 'mx-reachable': 'pass', 'dane-tlsa': 'fail', 'starttls-offered': 'fail', 'cert-hostname': 'skip' })], exitCode: ExitCode.checksFailed },
  'sts-enforce-mismatch.test': { domain: { 'mta-sts-record': 'pass', 'mta-sts-policy': 'pass' }, targets: [target('mx.sts-enforce-mismatch.test', '26', { 'mta-sts-mx-match': 'fail', 'dane-tlsa': 'skip' })], exitCode: ExitCode.checksFailed },
  'sts-testing-mismatch.test': { domain: { 'mta-sts-policy': 'pass' }, targets: [target('mx.sts-testing-mismatch.test', '27', { 'mta-sts-mx-match': 'warn' })], exitCode: ExitCode.ok },
  'sts-wildcard.test': { domain: { 'mta-sts-policy': 'pass' }, targets: [target('mail.sts-wildcard.test', '28', { 'mta-sts-mx-match': 'pass' })], exitCode: ExitCode.ok },
  'sts-missing.test': { domain: { 'mta-sts-record': 'pass', 'mta-sts-policy': 'fail' }, targets: [target('mx.sts-missing.test', '29', { 'mta-sts-mx-match': 'skip' })], exitCode: ExitCode.checksFailed },
  'sts-badcert.test': { domain: { 'mta-sts-record': 'pass', 'mta-sts-policy': 'fail' }, targets: [target('mx.sts-badcert.test', '30', { 'mta-sts-mx-match': 'skip' })], exitCode: ExitCode.checksFailed },
  // In the policy, but the MX's certificate is for another name: enforce fails (RFC 8461 §4.2).
  'sts-mxcert.test': { domain: { 'mta-sts-policy': 'pass' }, targets: [target('mx.sts-mxcert.test', '43', { 'mta-sts-mx-match': 'fail', 'cert-hostname': 'info', 'cert-chain-trusted': 'pass' })], exitCode: ExitCode.checksFailed },
  'sts-malformed.test': { domain: { 'mta-sts-record': 'fail', 'mta-sts-policy': 'skip' }, targets: [target('mx.sts-malformed.test', '31', { 'mta-sts-mx-match': 'skip' })], exitCode: ExitCode.checksFailed },
  'nullmx.test': { domain: { 'mx-records': 'info', 'mx-addresses': 'skip', 'dnssec-signed': 'pass' }, targets: [], exitCode: ExitCode.ok },
  'implicit.test': { domain: { 'mx-records': 'warn', 'mx-addresses': 'pass', 'dnssec-signed': 'pass' }, targets: [target('implicit.test', '32', { 'mx-reachable': 'pass' })], exitCode: ExitCode.ok },
  'nothing.implicit.test': { domain: { 'mx-records': 'fail', 'mx-addresses': 'fail', 'dnssec-signed': 'pass' }, targets: [], exitCode: ExitCode.checksFailed },
  'nowhere.good.test': { domain: { 'mx-records': 'fail', 'mx-addresses': 'skip', 'dnssec-signed': 'pass' }, targets: [], exitCode: ExitCode.checksFailed },
  // The IP-address MX is reported and never becomes a target; the named one does.
  'mx-literal.test': { domain: { 'mx-records': 'fail', 'mx-addresses': 'pass' }, targets: [target('mx.mx-literal.test', '35', { 'mx-reachable': 'pass' })], exitCode: ExitCode.checksFailed },
  'mx-cname.test': { domain: { 'mx-records': 'fail', 'mx-addresses': 'pass' }, targets: [target('alias.mx-cname.test', '33', { 'mx-reachable': 'pass' })], exitCode: ExitCode.checksFailed },
  'dead-primary.test': {
    domain: { 'mx-records': 'pass', 'mx-addresses': 'pass' },
    targets: [
      target('dead.dead-primary.test', '34', { 'mx-reachable': 'fail', 'dane-tlsa': 'inconclusive', 'starttls-offered': 'inconclusive', 'cert-chain-trusted': 'inconclusive', 'cert-hostname': 'inconclusive' }),
      target('backup.dead-primary.test', '35', { 'mx-reachable': 'pass', 'starttls-offered': 'pass' }),
    ],
    exitCode: ExitCode.checksFailed,
  },
  'mx-noaddr.test': { domain: { 'mx-records': 'pass', 'mx-addresses': 'fail' }, targets: [], exitCode: ExitCode.checksFailed },
  // A CNAME loop at the MX host: Unbound answers SERVFAIL, so the host has no address, and no target.
  'mx-loop.test': { domain: { 'mx-records': 'pass', 'mx-addresses': 'fail' }, targets: [], exitCode: ExitCode.checksFailed },
  'tlsrpt-malformed.test': { domain: { 'tls-rpt-record': 'fail' }, targets: [target('mx.tlsrpt-malformed.test', '36', { 'mx-reachable': 'pass' })], exitCode: ExitCode.checksFailed },
  'bogus-mx.test': { domain: { 'mx-records': 'fail', 'dnssec-signed': 'fail', 'mx-addresses': 'skip' }, targets: [], exitCode: ExitCode.checksFailed },
};

interface JsonCheck {
  id: string;
  verdict: Verdict;
  details?: DaneDetails;
  summary: string;
  evidence: string[];
}
interface DomainJson {
  command: string;
  ok: boolean;
  exitCode: number;
  result: { domain: string; checks: JsonCheck[]; targets: { host: string; address: string; port: number; preference: number; checks: JsonCheck[] }[]; baseline?: { worse: { target: string; id: string }[] } };
}

let servers: LabServers;
before(async () => {
  servers = await startLabServers(dnsLab());
});
after(async () => servers?.close());

// Every lab run is held to loopback (docs/domain.md#address-guard): a zone that named
// another address would stop the run before anything is contacted.
const LOOPBACK_ONLY = '127.0.0.0/8,::1/128';
const labArgs = (): string[] => ['--resolver', dnsLab().resolver, '--tls-ca', dnsLab().certs.ca, '--timeout', '5', '--only-addresses', LOOPBACK_ONLY];

function parse(run: CliResult): DomainJson {
  try {
    return JSON.parse(run.stdout) as DomainJson;
  } catch {
    throw new Error(`not JSON (exit ${run.code}): ${run.stdout}\n${run.stderr}`);
  }
}

const verdictsOf = (checks: JsonCheck[]): Record<string, Verdict> => Object.fromEntries(checks.map((check) => [check.id, check.verdict]));

describe('smtpcheck domain against the DNS lab: every zone, every verdict', () => {
  for (const [domain, expected] of Object.entries(EXPECTED)) {
    it(`${domain}: ${Object.entries(expected.domain).map(([id, verdict]) => `${id} ${verdict}`).join(', ') || 'targets'}; exit ${expected.exitCode}`, async () => {
      const run = await runCli(['domain', domain, ...labArgs(), '--checks', DOMAIN_IDS, '--json'], { timeoutMs: 60_000 });
      const json = parse(run);
      const net = dnsLab().net;
      assert.equal(json.command, 'domain');
      assert.equal(json.result.domain, domain);
      const domainVerdicts = verdictsOf(json.result.checks);
      for (const [id, verdict] of Object.entries(expected.domain)) assert.equal(domainVerdicts[id], verdict, `${id}: ${json.result.checks.find((check) => check.id === id)?.summary}`);
      assert.deepEqual(
        json.result.targets.map((t) => `${t.host} ${t.address}:${t.port}`),
        expected.targets.map((t) => `${t.host} ${t.address === 'v6' ? dnsLab().ipv6 : `${net}.${t.address}`}:25`),
      );
      expected.targets.forEach((wanted, index) => {
        const got = json.result.targets[index]!;
        const verdicts = verdictsOf(got.checks);
        for (const [id, verdict] of Object.entries(wanted.verdicts)) assert.equal(verdicts[id], verdict, `${got.host} ${got.address} ${id}: ${got.checks.find((check) => check.id === id)?.summary}`);
        const details = got.checks.find((check) => check.id === 'dane-tlsa')?.details;
        for (const [key, value] of Object.entries(wanted.dane ?? {})) assert.equal(details?.[key as keyof DaneDetails], value, `${got.host} dane-tlsa details.${key}`);
      });
      assert.equal(run.code, expected.exitCode, run.stderr);
      assert.equal(json.exitCode, expected.exitCode);
      assert.equal(json.ok, expected.exitCode === ExitCode.ok);
    });
  }
});

describe('smtpcheck domain good.test: the whole run, text and JSON', () => {
  it('two MX, one with IPv6, in preference order, A before AAAA; every check passes; DANE-EE and DANE-TA both match', async () => {
    const run = await runCli(['domain', 'good.test', ...labArgs(), '--json'], { timeoutMs: 60_000 });
    const json = parse(run);
    assert.equal(run.code, ExitCode.ok, run.stdout.slice(0, 4000));
    const net = dnsLab().net;
    assert.deepEqual(
      json.result.targets.map((t) => [t.preference, t.host, t.address]),
      [
        [10, 'mx1.good.test', `${net}.11`],
        [10, 'mx1.good.test', '::1'],
        [20, 'mx2.good.test', `${net}.12`],
      ],
    );
    for (const check of json.result.checks) assert.equal(check.verdict, 'pass', `${check.id}: ${check.summary}`);
    // The MTA checks use the domain as the local domain: postmaster@DOMAIN is the control recipient.
    assert.ok(servers.accepted(`${net}.11`).includes('postmaster@good.test'), servers.accepted(`${net}.11`).join(', '));
    const [mx1, , mx2] = json.result.targets;
    assert.match(mx1!.checks.find((check) => check.id === 'dane-tlsa')!.summary, /DANE-EE/);
    assert.match(mx2!.checks.find((check) => check.id === 'dane-tlsa')!.summary, /DANE-TA/);
    for (const t of json.result.targets) {
      const verdicts = verdictsOf(t.checks);
      for (const id of ['mx-reachable', 'dane-tlsa', 'mta-sts-mx-match', 'starttls-handshake', 'relay-open-basic', 'cert-hostname']) assert.equal(verdicts[id], 'pass', `${t.address} ${id}`);
      assert.ok(t.checks.every((check) => check.verdict !== 'fail' && check.verdict !== 'error'), `${t.address}: ${t.checks.filter((check) => check.verdict === 'fail').map((check) => check.id)}`);
    }
  });

  it('the text report ends with the matrix: the domain-wide verdicts, then one row per MX address', async () => {
    const run = await runCli(['domain', 'dead-primary.test', ...labArgs(), '--checks', DOMAIN_IDS], { timeoutMs: 60_000 });
    const lines = run.stdout.trimEnd().split('\n');
    const header = lines.findIndex((line) => /^\s+pref\s+MX address\s+reachable\s+STARTTLS\s+certificate\s+DANE\s+MTA-STS\s+relay/.test(line));
    assert.ok(header > 0, run.stdout);
    assert.match(lines[header - 1]!, /^dead-primary\.test: mx-records pass {2}mx-addresses pass/);
    assert.match(lines[header + 1]!, /^\s+10\s+dead\.dead-primary\.test \S+:25\s+fail\s+inconclusive\s+inconclusive\s+inconclusive\s+skip\s+—/);
    assert.match(lines[header + 2]!, /^\s+20\s+backup\.dead-primary\.test \S+:25\s+pass\s+pass\s+pass\s+skip\s+skip\s+—/);
  });
});

describe('smtpcheck domain: bad input is one line and a documented exit code', () => {
  it('not a domain name: exit 1', async () => {
    const run = await runCli(['domain', 'not a domain', ...labArgs()]);
    assert.equal(run.code, ExitCode.usage);
    assert.match(run.stderr, /^smtpcheck: error: "not a domain" is not a domain name — /);
  });

  it('a resolver that refuses (the lab Unbound, for a name outside .test): exit 2, naming the resolver', async () => {
    const run = await runCli(['domain', 'example.com', ...labArgs()]);
    assert.equal(run.code, ExitCode.connect);
    assert.match(run.stderr, new RegExp(`resolver ${dnsLab().resolver.replace(/\./g, '\\.')}:53 answered REFUSED to MX example\\.com`));
  });

  it('--resolver that is not an IP address: exit 1', async () => {
    const run = await runCli(['domain', 'good.test', '--resolver', 'dns.example']);
    assert.equal(run.code, ExitCode.usage);
    assert.match(run.stderr, /--resolver "dns\.example" is not an IP address/);
  });
});

// In this file, not its own: the lab servers bind fixed addresses and ports, so one
// test process at a time may run them (node --test runs files in parallel).
const SUITE_IDS = '[mx-records, dnssec-signed, mta-sts-policy, mx-reachable, dane-tlsa, mta-sts-mx-match, starttls-offered]';

function suite(targets: string): string {
  const file = join(mkdtempSync(join(tmpdir(), 'smtpcheck-domain-suite-')), 'suite.yml');
  writeFileSync(file, `targets:\n${targets}`);
  return file;
}

describe('check --config with domain: targets', () => {
  it('each domain target reports its MX addresses; an expected warning does not fail --strict, an unexpected failure does', async () => {
    const lab = dnsLab();
    const common = `    resolver: ${lab.resolver}\n    tls-ca: ${lab.certs.ca}\n    checks: ${SUITE_IDS}\n`;
    const file = suite(`  - domain: good.test\n${common}  - domain: sts-testing-mismatch.test\n${common}    expect: {mta-sts-mx-match: warn}\n`);
    const run = await runCli(['check', '--config', file, '--strict', '--json'], { timeoutMs: 60_000, env: { SMTPCHECK_ONLY_ADDRESSES: LOOPBACK_ONLY } });
    const json = JSON.parse(run.stdout) as { exitCode: number; result: { targets: { name: string; domain: string; checks: { id: string; verdict: string }[]; targets: { address: string; checks: { id: string; verdict: string; expected?: boolean }[] }[] }[] } };
    assert.equal(run.code, ExitCode.ok, run.stdout.slice(0, 3000));
    const [good, testing] = json.result.targets;
    assert.equal(good!.domain, 'good.test');
    assert.equal(good!.targets.length, 3);
    assert.ok(good!.targets.every((mx) => mx.checks.find((check) => check.id === 'dane-tlsa')?.verdict === 'pass'));
    const match = testing!.targets[0]!.checks.find((check) => check.id === 'mta-sts-mx-match')!;
    assert.equal(match.verdict, 'warn');
    assert.equal(match.expected, true);

    const unexpected = suite(`  - domain: tlsa-mismatch.test\n${common}`);
    const failed = await runCli(['check', '--config', unexpected], { timeoutMs: 60_000, env: { SMTPCHECK_ONLY_ADDRESSES: LOOPBACK_ONLY } });
    assert.equal(failed.code, ExitCode.checksFailed, failed.stdout);
    assert.match(failed.stdout, /dane-tlsa/);
  });
});

describe('smtpcheck domain --baseline (docs/ci.md#baselines)', () => {
  it('a domain run compared with its own baseline passes; a check that got worse against it exits 13, named per MX address', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'smtpcheck-domain-baseline-'));
    const saved = join(dir, 'baseline.json');
    const first = await runCli(['domain', 'tlsa-mismatch.test', ...labArgs(), '--checks', DOMAIN_IDS, '--save-baseline', saved, '--quiet'], { timeoutMs: 60_000 });
    assert.equal(first.code, ExitCode.checksFailed, first.stderr);
    const baseline = JSON.parse(readFileSync(saved, 'utf8'));
    const mxName = `mx.tlsa-mismatch.test ${dnsLab().net}.21:25`;
    assert.equal(baseline.targets['tlsa-mismatch.test']['dnssec-signed'].verdict, 'pass');
    assert.equal(baseline.targets[mxName]['dane-tlsa'].verdict, 'fail');

    const same = await runCli(['domain', 'tlsa-mismatch.test', ...labArgs(), '--checks', DOMAIN_IDS, '--baseline', saved, '--json'], { timeoutMs: 60_000 });
    assert.equal(same.code, ExitCode.ok, same.stderr);
    assert.deepEqual(parse(same).result.baseline!.worse, []);

    // As if DANE had matched when the baseline was taken: now it does not.
    baseline.targets[mxName]['dane-tlsa'].verdict = 'pass';
    writeFileSync(saved, JSON.stringify(baseline));
    const worse = await runCli(['domain', 'tlsa-mismatch.test', ...labArgs(), '--checks', DOMAIN_IDS, '--baseline', saved, '--json'], { timeoutMs: 60_000 });
    assert.equal(worse.code, ExitCode.worseThanBaseline, worse.stderr);
    assert.deepEqual(
      parse(worse).result.baseline!.worse.map((change: { target: string; id: string }) => [change.target, change.id]),
      [[mxName, 'dane-tlsa']],
    );
  });
});

