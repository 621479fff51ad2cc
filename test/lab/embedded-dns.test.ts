import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { ExitCode } from '../../src/outcome/exit-codes.js';
import type { EmbeddedLab } from '../../src/lab/embedded-lab.js';
import { startEmbeddedLab } from '../../src/lab/embedded-lab.js';
import { DnsResolver } from '../../src/core/dns/resolver.js';
import { DnsError } from '../../src/core/errors.js';
import { demoCaFile } from '../fakes/hostile-peer.js';
import { runCli } from '../e2e/postfix-lab.js';
import { startCli } from '../fakes/cli-process.js';

let lab: EmbeddedLab;
before(async () => {
  lab = await startEmbeddedLab({ services: ['mta'], dns: true });
});
after(async () => lab?.close());

const resolver = () => new DnsResolver({ resolvers: [{ host: lab.host, port: lab.dnsPort! }], timeoutMs: 1000 });

describe('the embedded lab answers DNS for its domain', () => {
  it('MX example.org names mail.example.org, which is the lab address; nothing is validated', async () => {
    const mx = await resolver().lookup('example.org', 'MX');
    assert.deepEqual(mx.records, [{ preference: 10, exchange: 'mail.example.org' }]);
    assert.equal(mx.authenticated, false);
    assert.deepEqual((await resolver().lookup('mail.example.org', 'A')).records, [lab.host]);
  });

  it('a name of the domain without records is NXDOMAIN, a name outside it is refused', async () => {
    assert.equal((await resolver().lookup('nothing.example.org', 'A')).status, 'nxdomain');
    await assert.rejects(resolver().lookup('example.com', 'A'), (error: unknown) => error instanceof DnsError && error.reason === 'dns-refused');
  });

  it('smtpcheck domain example.org runs with --resolver and --port pointing at the lab', async () => {
    const run = await runCli(['domain', 'example.org', '--resolver', `${lab.host}:${lab.dnsPort}`, '--port', String(lab.services.mta!.port), '--tls-ca', demoCaFile(), '--skip', 'smug-eod', '--json'], { timeoutMs: 60_000 });
    const json = JSON.parse(run.stdout) as { result: { checks: { id: string; verdict: string }[]; targets: { host: string; checks: { id: string; verdict: string; summary: string }[] }[] } };
    const verdict = (checks: { id: string; verdict: string }[], id: string) => checks.find((check) => check.id === id)?.verdict;
    assert.equal(verdict(json.result.checks, 'mx-records'), 'pass');
    assert.equal(verdict(json.result.checks, 'dnssec-signed'), 'warn');
    assert.equal(verdict(json.result.checks, 'tls-rpt-record'), 'pass');
    const [mx] = json.result.targets;
    assert.equal(mx!.host, 'mail.example.org');
    assert.equal(verdict(mx!.checks, 'mx-reachable'), 'pass');
    assert.equal(verdict(mx!.checks, 'dane-tlsa'), 'info', 'a TLSA record in an unsigned zone is unusable');
    assert.equal(verdict(mx!.checks, 'relay-open-basic'), 'pass');
    assert.equal(run.code, ExitCode.ok, mx!.checks.filter((check) => check.verdict === 'fail').map((check) => `${check.id}: ${check.summary}`).join('\n'));
  });
});

describe('smtpcheck lab answers DNS too, and says how to try smtpcheck domain', () => {
  it('its text names the DNS port and a domain command; the port answers MX for the lab domain; Ctrl-C stops it', async () => {
    const live = startCli(['lab', '--services', 'mta']);
    let shown = '';
    live.child.stdout!.on('data', (chunk) => (shown += chunk));
    for (let waited = 0; !/Ctrl-C stops the lab/.test(shown); waited += 50) {
      assert.ok(waited < 15_000, `the lab did not describe itself: ${shown}`);
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    const dns = /^DNS for example\.org \(its MX is the mta service; not signed\): 127\.0\.0\.1:(\d+), UDP and TCP$/m.exec(shown);
    assert.ok(dns, shown);
    assert.match(shown, new RegExp(`^  smtpcheck domain example\\.org --resolver 127\\.0\\.0\\.1:${dns[1]} --port \\d+ --tls-ca `, 'm'));
    const mx = await new DnsResolver({ resolvers: [{ host: '127.0.0.1', port: Number(dns[1]) }], timeoutMs: 1000 }).lookup('example.org', 'MX');
    assert.deepEqual(mx.records, [{ preference: 10, exchange: 'mail.example.org' }]);
    live.child.kill('SIGINT');
    assert.equal((await live.done).code, ExitCode.ok);
  });
});
