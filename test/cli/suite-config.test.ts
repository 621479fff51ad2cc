import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ConfigError, parseSuiteConfig } from '../../src/cli/suite-config.js';
import { exitCodeFor } from '../../src/outcome/exit-codes.js';

const parse = (text: string) => parseSuiteConfig(text, 'smtpcheck.yml');
const failsAt = (text: string, where: RegExp, what: RegExp) =>
  assert.throws(() => parse(text), (error: unknown) => error instanceof ConfigError && where.test(error.message) && what.test(error.message) && exitCodeFor(error.reason) === 12);

describe('suite config (YAML)', () => {
  it('reads targets with auth by environment variable, checks, expectations and thresholds', () => {
    const config = parse(`
max-connections: 16
targets:
  - name: mx
    server: mail.example.org:25
    local-recipient: postmaster@example.org
    expect:
      tls-versions: [warn, pass]
    thresholds:
      cert-days-left: 21
  - name: submission
    server: mail.example.org:587
    role: submission
    tls: starttls
    auth:
      user: john@example.org
      password-env: SUBMISSION_PASSWORD
    skip: [smug-eod]
`);
    assert.equal(config.maxConnections, 16);
    assert.equal(config.targets.length, 2);
    assert.deepEqual(config.targets[0]!.expect, { 'tls-versions': ['warn', 'pass'] });
    assert.equal(config.targets[0]!.certDaysLeft, 21);
    assert.deepEqual(config.targets[1]!.auth, { user: 'john@example.org', passwordEnv: 'SUBMISSION_PASSWORD' });
    assert.deepEqual(config.targets[1]!.skip, ['smug-eod']);
  });

  it('reads a per-target retry-deferred delay, and refuses one that is not a number', () => {
    assert.equal(parse('targets:\n  - server: mx:25\n    retry-deferred: 300\n').targets[0]!.retryDeferred, 300);
    failsAt('targets:\n  - server: mx:25\n    retry-deferred: soon\n', /smtpcheck\.yml:3/, /retry-deferred|number/);
  });

  it('refuses a password written in the file, pointing at its line', () => {
    failsAt('targets:\n  - server: mx:25\n    auth:\n      user: a@b.c\n      password: hunter2\n', /smtpcheck\.yml:5:7/, /passwords never go in the config file/);
  });

  it('names file, line and column of a YAML syntax error', () => {
    failsAt('targets:\n  - server: mx:25\n   name: broken\n', /smtpcheck\.yml:3:\d+/, /YAML syntax/);
  });

  it('refuses unknown keys, unknown check ids and bad verdicts where they are', () => {
    failsAt('targets:\n  - server: mx:25\n    sever: typo\n', /:3:5/, /unknown key "sever"/);
    failsAt('targets:\n  - server: mx:25\n    checks: [relay-open-basic, relay-nonsense]\n', /:3:/, /unknown check id "relay-nonsense"/);
    failsAt('targets:\n  - server: mx:25\n    expect:\n      tls-versions: maybe\n', /:4:/, /"maybe" is not a verdict/);
  });

  it('requires a non-empty target list with servers, and unique names', () => {
    failsAt('max-connections: 4\n', /smtpcheck\.yml:1:1/, /"targets" must be a non-empty list/);
    failsAt('targets:\n  - name: a\n', /:2:/, /has no server/);
    failsAt('targets:\n  - {name: a, server: x:25}\n  - {name: a, server: y:25}\n', /:3:/, /two targets are named "a"/);
  });
});

describe('suite config: domain targets', () => {
  it('a domain target takes resolvers and domain check ids, and is named after its domain', () => {
    const config = parse('targets:\n  - domain: example.org\n    resolver: [127.0.0.1, "[::1]:5353"]\n    checks: [mx-records, dane-tlsa, starttls-offered]\n    expect: {mta-sts-mx-match: warn}\n');
    const target = config.targets[0]!;
    assert.equal(target.name, 'example.org');
    assert.equal(target.domain, 'example.org');
    assert.equal(target.server, '');
    assert.deepEqual(target.resolver, ['127.0.0.1', '[::1]:5353']);
    assert.deepEqual(target.checks, ['mx-records', 'dane-tlsa', 'starttls-offered']);
    assert.deepEqual(target.expect, { 'mta-sts-mx-match': ['warn'] });
  });
  it('server and domain together, or resolver on a server target, are configuration errors', () => {
    assert.throws(() => parse('targets:\n  - server: mx.example.org:25\n    domain: example.org\n'), (error: unknown) => error instanceof ConfigError && /both server and domain/.test(error.message));
    assert.throws(() => parse('targets:\n  - server: mx.example.org:25\n    resolver: 127.0.0.1\n'), (error: unknown) => error instanceof ConfigError && /resolver applies to domain targets only/.test(error.message));
  });
  it('an id that is neither a check nor a domain check, even an Object property name, is refused', () => {
    for (const id of ['no-such-check', 'toString', 'constructor']) assert.throws(() => parse(`targets:\n  - domain: example.org\n    checks: [${id}]\n`), ConfigError, id);
  });
});
