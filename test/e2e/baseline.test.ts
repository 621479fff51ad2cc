import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { ExitCode } from '../../src/outcome/exit-codes.js';
import { postfixLab, runCli, servicePort } from './postfix-lab.js';

/**
 * Baselines on the real Postfix lab (docs/ci.md#baselines): the same suite target
 * "mx" is pointed at the secure MX and at the open relay, so the posture gets worse
 * or better between two runs as it would after a bad or a good deployment.
 */
const dir = mkdtempSync(join(tmpdir(), 'smtpcheck-baseline-'));
after(() => rmSync(dir, { recursive: true, force: true }));

function suite(service: string): string {
  const lab = postfixLab();
  const file = join(dir, `${service}.yml`);
  writeFileSync(file, `targets:\n  - name: mx\n    server: ${lab.host}:${servicePort(service)}\n    role: mta\n    local-recipient: ${lab.users[0]!.user}\n    tls-ca: ${lab.caFile}\n`);
  return file;
}

describe('check --baseline against the real Postfix lab', { concurrency: false }, () => {
  it('an open relay where the baseline had a secure MX fails with exit 13, naming every relay check that got worse', async () => {
    const saved = join(dir, 'secure.json');
    const first = await runCli(['check', '--config', suite('mta'), '--save-baseline', saved, '--quiet'], { timeoutMs: 60_000 });
    assert.equal(first.code, ExitCode.ok, first.stderr);
    assert.equal(JSON.parse(readFileSync(saved, 'utf8')).targets.mx['relay-open-basic'].verdict, 'pass');

    const second = await runCli(['check', '--config', suite('open-relay'), '--baseline', saved, '--json'], { timeoutMs: 60_000 });
    assert.equal(second.code, ExitCode.worseThanBaseline, second.stderr);
    const report = JSON.parse(second.stdout);
    assert.equal(report.exitCode, 13);
    const worse = report.result.baseline.worse.map((change: { id: string }) => change.id);
    assert.ok(worse.includes('relay-open-basic') && worse.includes('relay-percent'), worse.join(', '));
    assert.deepEqual(report.result.baseline.better, []);
  });

  it('a secure MX where the baseline had an open relay passes: improvements are listed, not failed', async () => {
    const saved = join(dir, 'open.json');
    const first = await runCli(['check', '--config', suite('open-relay'), '--save-baseline', saved, '--quiet'], { timeoutMs: 60_000 });
    assert.equal(first.code, ExitCode.checksFailed, first.stderr);
    const second = await runCli(['check', '--config', suite('mta'), '--baseline', saved], { timeoutMs: 60_000 });
    assert.equal(second.code, ExitCode.ok, second.stderr);
    assert.match(second.stdout, /✔ nothing got worse/);
    assert.match(second.stdout, /got better:[\s\S]*relay-open-basic +fail → pass/);
    assert.ok(second.stdout.indexOf('Against the baseline') < second.stdout.indexOf('smtpcheck check mx'), 'the comparison comes before the report');
  });

  it('a corrupt or foreign baseline is a one-line usage error before anything is sent', async () => {
    const foreign = join(dir, 'foreign.json');
    writeFileSync(foreign, '{"targets": {}}');
    const result = await runCli(['check', '--config', suite('mta'), '--baseline', foreign]);
    assert.equal(result.code, ExitCode.usage);
    assert.equal(result.stdout, '');
    assert.match(result.stderr, /^smtpcheck: error: --baseline .*foreign\.json is not an smtpcheck baseline \(no "format": "smtpcheck-baseline"\) — give a file written by smtpcheck check --save-baseline\n$/);
  });
});
