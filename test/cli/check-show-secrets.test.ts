import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { ExitCode } from '../../src/outcome/exit-codes.js';
import { runCli } from '../e2e/postfix-lab.js';
import { demoCaFile, serverPool } from '../fakes/hostile-peer.js';
import { smtpResponder, startResponder } from '../fakes/smtp-responder.js';

/**
 * --show-secrets reaches the evidence of `check` (plain, suite and the REPL's
 * :check): the decoded AUTH exchange with the flag, no form of the password anywhere
 * without it, and never because a suite file asked.
 */
const track = serverPool();
const USER = 'john@example.org';
const PASSWORD = 'Ev1dence-pw!';
const WRONG = `${PASSWORD}-smtpcheck-wrong`;
const dir = mkdtempSync(join(tmpdir(), 'smtpcheck-check-secrets-'));
after(() => rmSync(dir, { recursive: true, force: true }));

const base64 = (text: string) => Buffer.from(text, 'utf8').toString('base64');
const PLAIN_BLOB = base64(`\0${USER}\0${PASSWORD}`);
/** The passwords auth-success and auth-wrong-password send, as typed, in an AUTH PLAIN blob, and as LOGIN sends them. */
const SECRET_FORMS = [PASSWORD, WRONG].flatMap((secret) => [secret, base64(`\0${USER}\0${secret}`), base64(secret)]);

const leaks = (text: string): string[] => SECRET_FORMS.filter((form) => text.includes(form));

/** A submission server knowing USER, offering `mechanisms` after STARTTLS (demo certificate). */
const server = (mechanisms = 'PLAIN LOGIN') => track(startResponder(smtpResponder({ user: USER, password: PASSWORD, ehlo: (state) => (state.tls ? [`AUTH ${mechanisms}`, 'PIPELINING'] : ['STARTTLS', 'PIPELINING']) })));

const checkArgs = (port: number) => ['check', '--server', `127.0.0.1:${port}`, '--role', 'submission', '--tls-ca', demoCaFile(), '--auth-user', USER, '--timeout', '2'];

/** stdout, stderr and the files the run wrote, as one text to search. */
async function run(args: string[], files: string[] = [], input?: string): Promise<{ code: number | null; stdout: string; everything: string }> {
  const result = await runCli(args, { timeoutMs: 30_000, env: { SMTPCHECK_PASSWORD: PASSWORD, SUITE_PASSWORD: PASSWORD }, ...(input !== undefined ? { input } : {}) });
  const written = files.map((file) => readFileSync(file, 'utf8'));
  return { code: result.code, stdout: result.stdout, everything: [result.stdout, result.stderr, ...written].join('\n') };
}

/** Evidence lines (under a check, behind │) that hold the AUTH PLAIN exchange of the right password, decoded. */
const decodedPlainEvidence = (stdout: string): string[] => stdout.split('\n').filter((line) => line.includes('│') && line.includes(`AUTH PLAIN ${PLAIN_BLOB}`) && line.includes(`[\\0${USER}\\0${PASSWORD}]`));

function suiteFile(name: string, port: number, extra = ''): string {
  const file = join(dir, `${name}.yml`);
  writeFileSync(file, `targets:\n  - name: sub\n    server: 127.0.0.1:${port}\n    role: submission\n    auth: { user: ${USER}, password-env: SUITE_PASSWORD }\n${extra}`);
  return file;
}

describe('check --show-secrets', { concurrency: true }, () => {
  it('check -v --show-secrets shows the AUTH PLAIN exchange decoded in the evidence', async () => {
    const fake = await server();
    const { stdout } = await run([...checkArgs(fake.port), '-v', '--show-secrets']);
    assert.match(stdout, /auth-success/);
    assert.ok(decodedPlainEvidence(stdout).length > 0, stdout);
    assert.ok(stdout.includes(WRONG), 'auth-wrong-password shows the wrong password it sent');
  });

  it('check --show-secrets with LOGIN shows the base64 password in the evidence', async () => {
    const fake = await server('LOGIN');
    const { stdout } = await run([...checkArgs(fake.port), '-v', '--show-secrets']);
    assert.ok(stdout.split('\n').some((line) => line.includes('│') && line.includes(`${base64(PASSWORD)}  [${PASSWORD}]`)), stdout);
  });

  it('check --json --show-secrets and --junit carry the same evidence', async () => {
    const fake = await server();
    const junit = join(dir, 'revealed.xml');
    const { stdout } = await run([...checkArgs(fake.port), '--json', '--show-secrets', '--junit', junit]);
    const report = JSON.parse(stdout) as { result: { checks: { id: string; evidence: string[] }[] } };
    const evidence = report.result.checks.find((check) => check.id === 'auth-success')!.evidence.join('\n');
    assert.ok(evidence.includes(PLAIN_BLOB) && evidence.includes(PASSWORD), evidence);
    assert.ok(readFileSync(junit, 'utf8').includes(PLAIN_BLOB));
  });

  const hidden: { name: string; flags: (file: string) => string[]; files: (file: string) => string[] }[] = [
    { name: 'text with -v and --junit FILE', flags: (file) => ['-v', '--junit', file], files: (file) => [file] },
    { name: '--json with --junit FILE', flags: (file) => ['--json', '--junit', file], files: (file) => [file] },
  ];
  for (const { name, flags, files } of hidden) {
    for (const mechanisms of ['PLAIN LOGIN', 'LOGIN']) {
      it(`without the flag, no form of the password anywhere: ${name}, AUTH ${mechanisms}`, async () => {
        const fake = await server(mechanisms);
        const file = join(dir, `hidden-${name.length}-${mechanisms.length}.xml`);
        const { everything } = await run([...checkArgs(fake.port), ...flags(file)], files(file));
        assert.match(everything, /auth-success/, 'the AUTH checks ran');
        assert.deepEqual(leaks(everything), []);
        assert.ok(fake.connections.some((lines) => lines.some((line) => line.includes(mechanisms === 'LOGIN' ? base64(PASSWORD) : PLAIN_BLOB))), 'the searched-for form is what went on the wire');
      });
    }
  }
});

describe('check --config: secrets only when the command line asks', { concurrency: true }, () => {
  it('a suite run with -v --show-secrets shows the decoded exchange; without it, nothing', async () => {
    const fake = await server();
    const config = suiteFile('plain', fake.port);
    const junit = join(dir, 'suite-hidden.xml');
    const hidden = await run(['check', '--config', config, '--tls-ca', demoCaFile(), '--timeout', '2', '-v', '--junit', junit], [junit]);
    assert.match(hidden.everything, /auth-success/);
    assert.deepEqual(leaks(hidden.everything), []);
    const shown = await run(['check', '--config', config, '--tls-ca', demoCaFile(), '--timeout', '2', '-v', '--show-secrets']);
    assert.ok(decodedPlainEvidence(shown.stdout).length > 0, shown.stdout);
  });

  it('a suite file cannot ask for secrets: show-secrets in it is a configuration error, and nothing is shown', async () => {
    const fake = await server();
    const config = suiteFile('asks', fake.port, '    show-secrets: true\n');
    const { code, everything } = await run(['check', '--config', config, '--tls-ca', demoCaFile(), '--timeout', '2', '-v']);
    assert.equal(code, ExitCode.badConfig, everything);
    assert.match(everything, /unknown key "show-secrets"/);
    assert.deepEqual(leaks(everything), []);
    assert.equal(fake.connections.length, 0, 'no target was contacted');
  });
});

describe('repl :check follows --show-secrets too', { concurrency: true }, () => {
  const script = `:starttls\n:auth plain ${USER}\n:check auth-success\n:quit\n`;
  const replArgs = (port: number) => ['repl', '--server', `127.0.0.1:${port}`, '--role', 'submission', '--tls-ca', demoCaFile(), '--timeout', '2', '--no-history'];

  it('with --show-secrets the check evidence shows the decoded exchange', async () => {
    const fake = await server();
    const { code, stdout } = await run([...replArgs(fake.port), '--show-secrets'], [], script);
    assert.equal(code, ExitCode.ok, stdout);
    assert.ok(decodedPlainEvidence(stdout).length > 0, stdout);
  });

  it('without it, no form of the password anywhere', async () => {
    const fake = await server();
    const { code, everything } = await run(replArgs(fake.port), [], script);
    assert.equal(code, ExitCode.ok, everything);
    assert.match(everything, /auth-success/);
    assert.deepEqual(leaks(everything), []);
  });
});
