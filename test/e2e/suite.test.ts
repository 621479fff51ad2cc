import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { postfixLab, runCli, servicePort } from './postfix-lab.js';

describe('check --config against the real Postfix lab', () => {
  const lab = postfixLab();
  const dir = mkdtempSync(join(tmpdir(), 'smtpcheck-suite-'));

  const suite = (targets: string) => {
    const file = join(dir, `suite-${Math.random().toString(16).slice(2)}.yml`);
    writeFileSync(file, `targets:\n${targets}`);
    return file;
  };

  it('runs several targets concurrently, fails on the open relay, and writes one JUnit suite per target', async () => {
    const file = suite(`  - name: secure-mx
    server: 127.0.0.1:${servicePort('mta')}
    role: mta
    tls-ca: ${lab.caFile}
    local-recipient: john@example.org
    checks: [relay-control, relay-open-basic, auth-hidden-plaintext]
  - name: submission
    server: 127.0.0.1:${servicePort('submission')}
    role: submission
    tls-ca: ${lab.caFile}
    auth: {user: john@example.org, password-env: LAB_JOHN_PASSWORD}
    checks: [auth-success, spoof-login-mismatch-external]
  - name: open-relay
    server: 127.0.0.1:${servicePort('open-relay')}
    role: mta
    local-recipient: john@example.org
    checks: [relay-control, relay-open-basic]
`);
    const junit = join(dir, 'report.xml');
    const result = await runCli(['check', '--config', file, '--junit', junit, '--json'], { env: { LAB_JOHN_PASSWORD: 'summersun' } });
    assert.equal(result.code, 10, result.stderr);
    const json = JSON.parse(result.stdout);
    const byName = Object.fromEntries(json.result.targets.map((target: { name: string; checks: { id: string; verdict: string }[] }) => [target.name, Object.fromEntries(target.checks.map((check) => [check.id, check.verdict]))]));
    assert.deepEqual(byName['secure-mx'], { 'relay-control': 'pass', 'relay-open-basic': 'pass', 'auth-hidden-plaintext': 'pass' });
    assert.deepEqual(byName.submission, { 'auth-success': 'pass', 'spoof-login-mismatch-external': 'pass' });
    assert.deepEqual(byName['open-relay'], { 'relay-control': 'pass', 'relay-open-basic': 'fail' });
    const xml = readFileSync(junit, 'utf8');
    assert.equal((xml.match(/<testsuite /g) ?? []).length, 3);
    assert.match(xml, /name="open-relay"[^>]*failures="1"/);
    assert.doesNotMatch(result.stdout + xml, /summersun/);
  });

  it('an expectation in the file turns an accepted finding into a pass of the run', async () => {
    const file = suite(`  - name: relay-we-know-about
    server: 127.0.0.1:${servicePort('open-relay')}
    role: mta
    local-recipient: john@example.org
    checks: [relay-open-basic]
    expect:
      relay-open-basic: fail
`);
    const result = await runCli(['check', '--config', file]);
    assert.equal(result.code, 0, result.stdout + result.stderr);
    assert.match(result.stdout, /expected by config/);
  });

  it('a missing password variable is a configuration error (12), found before any server is contacted', async () => {
    const file = suite(`  - server: 127.0.0.1:${servicePort('submission')}
    role: submission
    auth: {user: john@example.org, password-env: NOT_SET_ANYWHERE}
`);
    const result = await runCli(['check', '--config', file]);
    assert.equal(result.code, 12);
    assert.match(result.stderr, /environment variable NOT_SET_ANYWHERE is not set/);
  });

  it('a broken file exits 12 with file:line:column', async () => {
    const file = suite('  - server: x:25\n    password: secret\n');
    const result = await runCli(['check', '--config', file]);
    assert.equal(result.code, 12);
    assert.match(result.stderr, /suite-[0-9a-f]+\.yml:3:5: passwords never go in the config file/);
  });
});
