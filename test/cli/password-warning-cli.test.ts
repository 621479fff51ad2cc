import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ExitCode } from '../../src/outcome/exit-codes.js';
import { runCli } from '../e2e/postfix-lab.js';
import { demoCaFile, serverPool } from '../fakes/hostile-peer.js';
import { smtpResponder, startResponder } from '../fakes/smtp-responder.js';

/**
 * The warning about a password on the command line is a security warning: it must
 * reach the user in every output mode. The text transcript shows it in place;
 * --quiet and --json, which hide the transcript, send it to standard error, so the
 * summary line and the JSON document on standard output stay as they are.
 */
const track = serverPool();
const USER = 'john@example.org';
const PASSWORD = 'Sup3r-s3cret-Pw!';
const WARNING = 'a password on the command line is visible to other local users';

const server = () => track(startResponder(smtpResponder({ user: USER, password: PASSWORD })));

const COMMANDS: { name: string; args: (port: number) => string[] }[] = [
  { name: 'auth', args: (port) => ['auth', '--server', `127.0.0.1:${port}`, '--tls-ca', demoCaFile()] },
  { name: 'send', args: (port) => ['send', '--server', `127.0.0.1:${port}`, '--tls', '--tls-ca', demoCaFile(), '--to', 'lisa@example.org'] },
];

const occurrences = (text: string, part: string) => text.split(part).length - 1;

describe('the command-line password warning survives every output mode', { concurrency: true }, () => {
  for (const { name, args } of COMMANDS) {
    const run = async (...extra: string[]) => {
      const fake = await server();
      return runCli([...args(fake.port), '--auth-user', USER, '--timeout', '2', ...extra], { timeoutMs: 15_000 });
    };

    it(`${name}, text: the warning is in the transcript once, and not repeated on stderr`, async () => {
      const result = await run('--auth-password', PASSWORD);
      assert.equal(result.code, ExitCode.ok, result.stderr);
      assert.equal(occurrences(result.stdout, `*** ${WARNING}`), 1);
      assert.doesNotMatch(result.stderr, new RegExp(WARNING));
    });

    it(`${name} --quiet: the warning is on stderr, and stdout is the one summary line`, async () => {
      const result = await run('--auth-password', PASSWORD, '--quiet');
      assert.equal(result.code, ExitCode.ok, result.stderr);
      assert.match(result.stderr, new RegExp(`^smtpcheck: warning: ${WARNING}`, 'm'));
      assert.equal(result.stdout.trim().split('\n').length, 1, result.stdout);
      assert.match(result.stdout, /^✔ /);
      assert.ok(!(result.stdout + result.stderr).includes(PASSWORD));
    });

    it(`${name} --json: the warning is on stderr and in the events, and stdout is one JSON document`, async () => {
      const result = await run('--auth-password', PASSWORD, '--json');
      assert.equal(result.code, ExitCode.ok, result.stderr);
      assert.match(result.stderr, new RegExp(`^smtpcheck: warning: ${WARNING}`, 'm'));
      const document = JSON.parse(result.stdout);
      assert.equal(document.ok, true);
      assert.ok(document.events.some((event: { type: string; message?: string }) => event.type === 'warn' && event.message?.startsWith(WARNING)));
    });

    it(`${name} --quiet with the password from SMTPCHECK_PASSWORD: no warning at all`, async () => {
      const fake = await server();
      const result = await runCli([...args(fake.port), '--auth-user', USER, '--timeout', '2', '--quiet'], { timeoutMs: 15_000, env: { SMTPCHECK_PASSWORD: PASSWORD } });
      assert.equal(result.code, ExitCode.ok, result.stderr);
      assert.equal(result.stderr, '');
    });
  }
});
