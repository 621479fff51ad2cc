import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ExitCode } from '../../src/outcome/exit-codes.js';
import { runCli } from '../e2e/postfix-lab.js';
import { demoCaFile, serverPool } from '../fakes/hostile-peer.js';
import { smtpResponder, startResponder } from '../fakes/smtp-responder.js';

/**
 * Every value that goes on the wire is refused when it holds a CR or LF (NUL cannot
 * pass through argv; the core tests cover it): exit 1, and the server never sees a
 * MAIL, let alone the smuggled command.
 */
const track = serverPool();
const SMUGGLED = 'RCPT TO:<victim@example.net>';

const fake = () => track(startResponder(smtpResponder({ ehlo: (state) => [...(state.tls ? [] : ['STARTTLS']), 'AUTH PLAIN', 'DSN', 'PIPELINING'] })));

const CASES: { flag: string; args: string[]; message: RegExp }[] = [
  { flag: '--from', args: ['--from', `a@example.org\r\n${SMUGGLED}`, '--to', 'b@example.org'], message: /--from contains a CR, LF or NUL character/ },
  { flag: '--to', args: ['--from', 'a@example.org', '--to', `b@example.org\r\n${SMUGGLED}`], message: /recipient contains a CR, LF or NUL character/ },
  { flag: '--cc (bare LF)', args: ['--from', 'a@example.org', '--to', 'b@example.org', '--cc', `c@example.org\n${SMUGGLED}`], message: /recipient contains a CR, LF or NUL character/ },
  { flag: '--header', args: ['--from', 'a@example.org', '--to', 'b@example.org', '--header', 'X-Test: a\r\nBcc: victim@example.net'], message: /--header contains a CR, LF or NUL character/ },
  { flag: '--subject', args: ['--from', 'a@example.org', '--to', 'b@example.org', '--subject', 'hello\r\nBcc: victim@example.net'], message: /--subject contains a CR, LF or NUL character/ },
  { flag: '--auth-user', args: ['--tls', '--tls-ca', demoCaFile(), '--auth-user', `john@example.org\r\n${SMUGGLED}`, '--to', 'b@example.org'], message: /--auth-user contains a CR, LF or NUL character/ },
  { flag: '--helo (bare CR)', args: ['--helo', `client.example.com\r${SMUGGLED}`, '--from', 'a@example.org', '--to', 'b@example.org'], message: /--helo contains a CR, LF or NUL character/ },
  { flag: '--dsn-envid', args: ['--from', 'a@example.org', '--to', 'b@example.org', '--dsn-envid', `x\r\n${SMUGGLED}`], message: /--dsn-envid may only hold printable US-ASCII/ },
];

describe('CR and LF in values that go on the wire: exit 1, no MAIL sent', { concurrency: true }, () => {
  for (const { flag, args, message } of CASES) {
    it(`${flag} with an embedded line break`, async () => {
      const server = await fake();
      const result = await runCli(['send', '--server', `127.0.0.1:${server.port}`, '--timeout', '2', ...args], { timeoutMs: 10_000, env: { SMTPCHECK_PASSWORD: 'summersun' } });
      assert.equal(result.code, ExitCode.usage, result.stderr);
      assert.match(result.stderr, message);
      assert.equal(result.stderr.trim().split('\n').length, 1, 'the line break is shown escaped, not printed');
      const wire = server.connections.flat();
      assert.ok(!wire.some((line) => /^MAIL\b/i.test(line)), `MAIL was sent: ${JSON.stringify(wire)}`);
      assert.ok(!wire.some((line) => line.includes('victim@example.net')));
    });
  }
});

describe('malformed --header values are usage errors, not internal ones', { concurrency: true }, () => {
  for (const header of ['NoColonHere', ': no name', 'Bad Name: value with a space in the name']) {
    it(`--header ${JSON.stringify(header)} exits 1`, async () => {
      const server = await fake();
      const result = await runCli(['send', '--server', `127.0.0.1:${server.port}`, '--from', 'a@example.org', '--to', 'b@example.org', '--header', header, '--timeout', '2'], { timeoutMs: 10_000 });
      assert.equal(result.code, ExitCode.usage, result.stderr);
      assert.match(result.stderr, /--header must look like "Name: value"/);
      assert.ok(!server.connections.flat().some((line) => /^MAIL\b/i.test(line)));
    });
  }
});

describe('values no flag check covers are stopped where the command line is written', () => {
  it('check --local-domain with a line break is a usage error (exit 1): nothing is sent', async () => {
    const server = await fake();
    const result = await runCli(['check', '--server', `127.0.0.1:${server.port}`, '--role', 'mta', '--local-domain', 'example.org\r\nRSET', '--checks', 'relay-control,relay-open-basic', '--timeout', '2'], { timeoutMs: 20_000 });
    assert.equal(result.code, ExitCode.usage, result.stdout + result.stderr);
    assert.match(result.stderr, /--local-domain is not a domain name/);
    assert.equal(server.connections.length, 0, 'no connection was made');
  });
});
