import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { roleFrom } from '../../src/options/check-target.js';
import { parseServer } from '../../src/options/target.js';
import { UsageError } from '../../src/core/errors.js';
import { assertMailbox, assertSingleLine } from '../../src/core/wire-text.js';
import { runCli } from '../e2e/postfix-lab.js';

describe('--server parsing', () => {
  it('reads host, host:port, [v6]:port, [v6] and bare IPv6', () => {
    assert.deepEqual(parseServer('mail.example.org', undefined, 25), { host: 'mail.example.org', port: 25 });
    assert.deepEqual(parseServer('mail.example.org:587', undefined, 25), { host: 'mail.example.org', port: 587 });
    assert.deepEqual(parseServer('[::1]:2525', undefined, 25), { host: '::1', port: 2525 });
    assert.deepEqual(parseServer('[2001:db8::1]', undefined, 465), { host: '2001:db8::1', port: 465 });
    assert.deepEqual(parseServer('2001:db8::1', undefined, 25), { host: '2001:db8::1', port: 25 });
    assert.deepEqual(parseServer('127.0.0.1', 2525, 25), { host: '127.0.0.1', port: 2525 });
  });

  it('refuses bad ports and contradictions with a usage error', () => {
    assert.throws(() => parseServer('host:0', undefined, 25), UsageError);
    assert.throws(() => parseServer('host:99999', undefined, 25), UsageError);
    assert.throws(() => parseServer('host:25x', undefined, 25), UsageError);
    assert.throws(() => parseServer('host:25', 587, 25), /give the port once|port 25 but --port says 587/);
    assert.throws(() => parseServer('', undefined, 25), UsageError);
  });
});

describe('role from port', () => {
  it('maps 25, 587 and 465, and honours --role', () => {
    assert.equal(roleFrom(undefined, 25, false), 'mta');
    assert.equal(roleFrom(undefined, 587, false), 'submission');
    assert.equal(roleFrom(undefined, 465, false), 'submissions');
    assert.equal(roleFrom(undefined, 2525, true), 'submissions');
    assert.equal(roleFrom('mx', 587, false), 'mta');
    assert.throws(() => roleFrom('relay', 25, false), UsageError);
  });
});

describe('wire text checks (no command injection through flags)', () => {
  it('refuses CR, LF and NUL in anything that goes on the wire', () => {
    assert.throws(() => assertSingleLine('smtpcheck.example\r\nMAIL FROM:<x@y>', '--helo'), /CR, LF or NUL/);
    assert.throws(() => assertMailbox('a@example.org\nRCPT TO:<b@example.net>', '--to'), /CR, LF or NUL/);
    assert.throws(() => assertMailbox('a\0@example.org', '--from'), /CR, LF or NUL/);
  });

  it('accepts RFC 5321 forms: quoted local parts, address literals, UTF-8', () => {
    for (const address of ['john@example.org', '"john doe"@example.org', 'postmaster@[192.0.2.1]', 'jörg@bücher.example']) assert.equal(assertMailbox(address, '--to'), address);
    assert.equal(assertMailbox('', '--from', { allowEmpty: true }), '');
    assert.throws(() => assertMailbox('not an address', '--to'), UsageError);
    assert.throws(() => assertMailbox('a@b@c', '--to'), UsageError);
  });
});

describe('the CLI on bad input (one line, documented exit code, no stack trace)', () => {
  const oneLine = (text: string) => {
    assert.equal(text.trim().split('\n').length, 1, text);
    assert.doesNotMatch(text, /\n\s+at /);
  };

  it('an unknown flag exits 1', async () => {
    const result = await runCli(['caps', '--server', '127.0.0.1', '--bogus']);
    assert.equal(result.code, 1);
    assert.match(result.stderr, /unknown option '--bogus'/);
  });

  it('a missing --server exits 1 and says how to give one', async () => {
    const result = await runCli(['caps']);
    assert.equal(result.code, 1);
    oneLine(result.stderr);
    assert.match(result.stderr, /no server given — add --server/);
  });

  it('a refused connection exits 2', async () => {
    const result = await runCli(['caps', '--server', '127.0.0.1:1']);
    assert.equal(result.code, 2);
    oneLine(result.stderr);
    assert.match(result.stderr, /connection to 127\.0\.0\.1:1 refused — nothing listens there/);
  });

  it('a header with a line break exits 1 before anything is sent', async () => {
    const result = await runCli(['send', '--server', '127.0.0.1:1', '--from', 'a@example.org', '--to', 'b@example.org', '--helo', 'x\r\nRSET']);
    assert.equal(result.code, 1);
    assert.match(result.stderr, /--helo contains a CR, LF or NUL/);
  });

  it('auth without a password source and without a terminal exits 1 naming the sources', async () => {
    const result = await runCli(['auth', '--server', '127.0.0.1:1', '--auth-user', 'john@example.org']);
    assert.equal(result.code, 1);
    assert.match(result.stderr, /SMTPCHECK_PASSWORD|--auth-password-file/);
  });

  it('an unreadable password file exits 1', async () => {
    const result = await runCli(['auth', '--server', '127.0.0.1:1', '--auth-user', 'john@example.org', '--auth-password-file', '/nonexistent/pw']);
    assert.equal(result.code, 1);
    assert.match(result.stderr, /cannot read --auth-password-file \/nonexistent\/pw: ENOENT/);
  });

  it('--quit-after with an unknown step exits 1 and lists the steps', async () => {
    const result = await runCli(['send', '--server', '127.0.0.1:1', '--quit-after', 'lunch']);
    assert.equal(result.code, 1);
    assert.match(result.stderr, /connect, proxy, banner, first-ehlo, tls, ehlo/);
  });

  it('swaks\'s -tls (which would read as -t ls: a recipient, no TLS) exits 1 before connecting, naming --tls', async () => {
    const result = await runCli(['send', '--server', '127.0.0.1:1', '--from', 'a@example.org', '--to', 'b@example.org', '-tls']);
    assert.equal(result.code, 1, result.stderr);
    oneLine(result.stderr);
    assert.match(result.stderr, /write --tls$/m);
  });

  it('the same word as the value of an option before it is text, not swaks\'s -tls', async () => {
    const result = await runCli(['send', '--server', '127.0.0.1:1', '--from', 'a@example.org', '--to', 'b@example.org', '--subject', '-tls']);
    assert.equal(result.code, 2, result.stderr);
  });

  it('--version and --help exit 0', async () => {
    assert.equal((await runCli(['--version'])).code, 0);
    const help = await runCli(['--help']);
    assert.equal(help.code, 0);
    assert.match(help.stdout, /relay-test/);
  });
});
