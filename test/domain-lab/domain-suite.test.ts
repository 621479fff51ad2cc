import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { ExitCode } from '../../src/cli/exit-codes.js';
import { runCli } from '../e2e/postfix-lab.js';
import { dnsLab } from './dns-lab.js';
import type { LabServers } from './lab-servers.js';
import { startLabServers } from './lab-servers.js';

let servers: LabServers;
before(async () => {
  servers = await startLabServers(dnsLab());
});
after(async () => servers?.close());

const IDS = '[mx-records, dnssec-signed, mta-sts-policy, mx-reachable, dane-tlsa, mta-sts-mx-match, starttls-offered]';

function suite(targets: string): string {
  const file = join(mkdtempSync(join(tmpdir(), 'smtpcheck-domain-suite-')), 'suite.yml');
  writeFileSync(file, `targets:\n${targets}`);
  return file;
}

describe('check --config with domain: targets', () => {
  it('each domain target reports its MX addresses; an expected warning does not fail --strict, an unexpected failure does', async () => {
    const lab = dnsLab();
    const common = `    resolver: ${lab.resolver}\n    tls-ca: ${lab.certs.ca}\n    checks: ${IDS}\n`;
    const file = suite(`  - domain: good.test\n${common}  - domain: sts-testing-mismatch.test\n${common}    expect: {mta-sts-mx-match: warn}\n`);
    const run = await runCli(['check', '--config', file, '--strict', '--json'], { timeoutMs: 60_000 });
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
    const failed = await runCli(['check', '--config', unexpected], { timeoutMs: 60_000 });
    assert.equal(failed.code, ExitCode.checksFailed, failed.stdout);
    assert.match(failed.stdout, /dane-tlsa/);
  });
});
