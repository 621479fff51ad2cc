import assert from 'node:assert/strict';
import net from 'node:net';
import { describe, it } from 'node:test';
import { ExitCode } from '../../src/outcome/exit-codes.js';
import { runCli } from '../e2e/postfix-lab.js';
import { serverPool } from '../fakes/hostile-peer.js';
import { fakeSocks } from '../fakes/socks5-server.js';
import { smtpResponder, startResponder } from '../fakes/smtp-responder.js';

/**
 * --socks5 against a scripted SOCKS5 server (RFC 1928/1929) in front of a fake SMTP
 * server: the tunnel, credentials, every kind of refusal, and a proxy that hangs.
 */
const track = serverPool();


const smtp = async () => (await track(startResponder(smtpResponder()))).port;
const send = (server: string, socks: number, extra: string[] = [], env: Record<string, string> = {}) =>
  runCli(['send', '--server', server, '--socks5', `127.0.0.1:${socks}`, '--from', 'a@example.org', '--to', 'b@example.org', '--quit-after', 'rcpt', '--timeout', '2', ...extra], { timeoutMs: 10_000, env });

describe('--socks5', { concurrency: true }, () => {
  it('the session goes through the tunnel: CONNECT to the IPv4 server, the SMTP conversation after it', async () => {
    const [port, socks] = await Promise.all([smtp(), fakeSocks()]);
    const result = await send(`127.0.0.1:${port}`, socks.port);
    assert.equal(result.code, ExitCode.ok, result.stdout + result.stderr);
    assert.deepEqual(socks.requests, [[1, '127.0.0.1', port]]);
    assert.match(result.stdout, /through the SOCKS5 server 127\.0\.0\.1:\d+/);
  });

  it('the greeting in the same segment as the SOCKS reply is read as the greeting, not lost', async () => {
    const [port, socks] = await Promise.all([smtp(), fakeSocks({ coalesce: true })]);
    const result = await send(`127.0.0.1:${port}`, socks.port);
    assert.equal(result.code, ExitCode.ok, result.stdout + result.stderr);
    assert.match(result.stdout, /<- {2}220 fake\.example\.org/);
  });

  it('a host name is resolved by the proxy (ATYP 3), not here', async () => {
    const [port, socks] = await Promise.all([smtp(), fakeSocks()]);
    const result = await send(`localhost:${port}`, socks.port);
    assert.equal(result.code, ExitCode.ok, result.stdout + result.stderr);
    assert.deepEqual(socks.requests, [[3, 'localhost', port]]);
  });

  it('username/password from SMTPCHECK_SOCKS5_PASSWORD (RFC 1929)', async () => {
    const [port, socks] = await Promise.all([smtp(), fakeSocks({ user: 'tester', password: 's3cret' })]);
    const result = await send(`127.0.0.1:${port}`, socks.port, ['--socks5-user', 'tester'], { SMTPCHECK_SOCKS5_PASSWORD: 's3cret' });
    assert.equal(result.code, ExitCode.ok, result.stdout + result.stderr);
    assert.deepEqual(socks.credentials, ['tester:s3cret']);
    assert.doesNotMatch(result.stdout + result.stderr, /s3cret/);
  });

  it('a wrong password: exit 2, socks-auth, no SMTP', async () => {
    const [port, socks] = await Promise.all([smtp(), fakeSocks({ user: 'tester', password: 's3cret' })]);
    const result = await send(`127.0.0.1:${port}`, socks.port, ['--socks5-user', 'tester', '--json'], { SMTPCHECK_SOCKS5_PASSWORD: 'wrong' });
    assert.equal(result.code, ExitCode.connect);
    assert.equal(JSON.parse(result.stdout).error.reason, 'socks-auth');
    assert.deepEqual(socks.requests, []);
  });

  it('a proxy that wants credentials when none were given: exit 2 with a hint naming --socks5-user', async () => {
    const socks = await fakeSocks({ user: 'tester', password: 's3cret' });
    const result = await send('127.0.0.1:25', socks.port);
    assert.equal(result.code, ExitCode.connect);
    assert.match(result.stderr, /accepts none of the offered methods.*--socks5-user/);
  });

  for (const [code, text] of [
    [0x02, 'connection not allowed by ruleset'],
    [0x04, 'host unreachable'],
    [0x05, 'connection refused'],
    [0x01, 'general SOCKS server failure'],
  ] as const) {
    it(`SOCKS reply ${code} (${text}): exit 2, socks-refused, the RFC 1928 meaning`, async () => {
      const socks = await fakeSocks({ reply: code });
      const result = await send('127.0.0.1:25', socks.port, ['--json']);
      assert.equal(result.code, ExitCode.connect);
      const error = JSON.parse(result.stdout).error;
      assert.equal(error.reason, 'socks-refused');
      assert.match(error.message, new RegExp(`could not connect to 127\\.0\\.0\\.1:25: ${text}`));
    });
  }

  it('a SOCKS server that accepts and never answers: exit 2 within the connect timeout', async () => {
    const socks = await fakeSocks({ hang: true });
    const result = await send('127.0.0.1:25', socks.port, ['--connect-timeout', '1']);
    assert.equal(result.code, ExitCode.connect);
    assert.match(result.stderr, /through the SOCKS5 server 127\.0\.0\.1:\d+ timed out after 1 s/);
  });

  it('an unreachable SOCKS server: exit 2, connect-refused, naming the proxy', async () => {
    const socks = await fakeSocks();
    const closed = net.createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const port = (closed.address() as net.AddressInfo).port;
    await new Promise<void>((resolve) => closed.close(() => resolve()));
    const result = await send('127.0.0.1:25', port, ['--json']);
    assert.equal(result.code, ExitCode.connect);
    assert.equal(JSON.parse(result.stdout).error.reason, 'connect-refused');
    assert.match(JSON.parse(result.stdout).error.message, new RegExp(`the SOCKS5 server 127\\.0\\.0\\.1:${port}`));
    const text = await send('127.0.0.1:25', port);
    assert.equal(text.code, ExitCode.connect);
    assert.equal(text.stderr.trim().split('\n').length, 1, text.stderr);
    assert.deepEqual(socks.requests, []);
  });

  for (const [flags, message] of [
    [['--socks5', 'proxy.example.org'], /--socks5 "proxy\.example\.org" is not HOST:PORT/],
    [['--socks5', '127.0.0.1:1080', '--socks5-user', 'tester'], /no SOCKS5 password for tester/],
    [['--socks5-user', 'tester'], /need --socks5 HOST:PORT/],
  ] as const) {
    it(`bad input (${flags.join(' ')}) is a one-line usage error before connecting`, async () => {
      const result = await runCli(['send', '--server', '127.0.0.1:25', '--from', 'a@example.org', '--to', 'b@example.org', ...flags], { timeoutMs: 10_000 });
      assert.equal(result.code, ExitCode.usage, result.stderr);
      assert.match(result.stderr, message);
      assert.equal(result.stderr.trim().split('\n').length, 1);
    });
  }
});
