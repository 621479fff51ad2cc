import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ExitCode } from '../../src/outcome/exit-codes.js';
import { runCli } from '../e2e/postfix-lab.js';
import { startFakeServer } from '../fakes/fake-smtp-server.js';
import { clientGone, demoCaFile, serverPool } from '../fakes/hostile-peer.js';
import { smtpResponder, startResponder } from '../fakes/smtp-responder.js';

/**
 * docs/security.md#tls: no downgrade, no injected replies, capabilities learnt again through the
 * real CLI: with TLS required, every downgrade stops with exit 3 and the password
 * never reaches the wire.
 */
const track = serverPool();
const PASSWORD = 'summersun';
const sawAuth = (lines: string[]) => lines.some((line) => /^AUTH\b/i.test(line));

const authCli = (port: number, ...extra: string[]) =>
  runCli(['auth', '--server', `127.0.0.1:${port}`, '--tls-ca', demoCaFile(), '--auth-user', 'john@example.org', '--timeout', '2', ...extra], { timeoutMs: 10_000, env: { SMTPCHECK_PASSWORD: PASSWORD } });

describe('STARTTLS downgrades through the CLI: exit 3, no AUTH on the wire', { concurrency: true }, () => {
  it('O_1: STARTTLS hidden, AUTH offered in plaintext: `auth` stops (TLS is required by default)', async () => {
    const server = await track(startResponder(smtpResponder({ ehlo: () => ['AUTH PLAIN LOGIN'] })));
    const result = await authCli(server.port);
    assert.equal(result.code, ExitCode.tls);
    assert.match(result.stderr, /server does not offer STARTTLS, and TLS is required — .*--tls-optional/);
    assert.ok(!sawAuth(server.connections[0]!));
  });

  it('O_1 for `send --tls --auth-user`: stops before AUTH and before MAIL', async () => {
    const server = await track(startResponder(smtpResponder({ ehlo: () => ['AUTH PLAIN LOGIN'] })));
    const result = await runCli(['send', '--server', `127.0.0.1:${server.port}`, '--tls', '--auth-user', 'john@example.org', '--to', 'b@example.org', '--timeout', '2'], { timeoutMs: 10_000, env: { SMTPCHECK_PASSWORD: PASSWORD } });
    assert.equal(result.code, ExitCode.tls);
    assert.ok(!server.connections[0]!.some((line) => /^(AUTH|MAIL)\b/i.test(line)));
  });

  it('D_1: EHLO hidden (502), HELO accepted: no STARTTLS to be had, so stop', async () => {
    const server = await track(startResponder(smtpResponder({ override: (step) => (step === 'ehlo' ? '502 5.5.2 Error: command not recognized' : undefined) })));
    const result = await authCli(server.port);
    assert.equal(result.code, ExitCode.tls);
    assert.ok(server.connections[0]!.some((line) => line.startsWith('HELO')));
    assert.ok(!sawAuth(server.connections[0]!));
  });

  for (const refusal of ['502 5.5.1 Error: command not implemented', '454 4.7.0 TLS not available due to local problem', '421 4.3.2 Service shutting down', '354 go ahead']) {
    it(`O_2–O_4: STARTTLS answered "${refusal.slice(0, 3)}": exit 3 with the server's reply, no AUTH`, async () => {
      const server = await track(startResponder(smtpResponder({ override: (step) => (step === 'starttls' ? refusal : undefined) })));
      const result = await authCli(server.port);
      assert.equal(result.code, ExitCode.tls);
      assert.match(result.stderr, new RegExp(`server refused STARTTLS: ${refusal.slice(0, 3)}`));
      assert.ok(!sawAuth(server.connections[0]!));
    });
  }

  it('B_1: plaintext replies pipelined behind the 220: "response injection", exit 3, no AUTH', async () => {
    const server = await track(
      startFakeServer(async (peer) => {
        peer.write('220 fake ESMTP\r\n');
        await peer.answer('250-fake.example.org\r\n250-STARTTLS\r\n250 AUTH PLAIN\r\n');
        await peer.answer('220 2.0.0 Ready\r\n250-fake.example.org\r\n250 AUTH PLAIN LOGIN\r\n');
        await clientGone(peer);
      }),
    );
    const result = await authCli(server.port);
    assert.equal(result.code, ExitCode.tls);
    assert.match(result.stderr, /response injection: \d+ plaintext byte\(s\) followed the STARTTLS 220 before the TLS handshake/);
    assert.ok(!sawAuth(server.connections[0]!));
  });
});

describe('capabilities are re-learnt inside TLS (self-rehello) through the CLI', { concurrency: true }, () => {
  it('uses the mechanism offered inside TLS, not the one offered before', async () => {
    const server = await track(startResponder(smtpResponder({ ehlo: (state) => (state.tls ? ['AUTH LOGIN'] : ['STARTTLS', 'AUTH PLAIN']) })));
    const result = await authCli(server.port);
    assert.equal(result.code, ExitCode.ok, result.stderr);
    assert.match(result.stdout, /authenticated as john@example\.org with LOGIN/);
    assert.ok(server.connections[0]!.includes('AUTH LOGIN'));
    assert.ok(!server.connections[0]!.some((line) => line.startsWith('AUTH PLAIN')));
  });

  it('AUTH offered only before TLS: exit 4 "does not offer AUTH here", nothing sent', async () => {
    const server = await track(startResponder(smtpResponder({ ehlo: (state) => (state.tls ? ['PIPELINING'] : ['STARTTLS', 'AUTH PLAIN LOGIN']) })));
    const result = await authCli(server.port);
    assert.equal(result.code, ExitCode.auth);
    assert.match(result.stderr, /server does not offer AUTH here/);
    assert.ok(!sawAuth(server.connections[0]!));
  });

  it('STARTTLS advertised again inside TLS does not make smtpcheck start TLS twice', async () => {
    const server = await track(startResponder(smtpResponder({ ehlo: () => ['STARTTLS', 'AUTH PLAIN'] })));
    const result = await authCli(server.port);
    assert.equal(result.code, ExitCode.ok, result.stderr);
    assert.equal(server.connections[0]!.filter((line) => line === 'STARTTLS').length, 1);
  });
});

describe('no credential before TLS unless the user allows it', { concurrency: true }, () => {
  it('`send --auth-user` without any TLS flag is a usage error: exit 1, nothing sent', async () => {
    const server = await track(startResponder(smtpResponder()));
    const result = await runCli(['send', '--server', `127.0.0.1:${server.port}`, '--auth-user', 'john@example.org', '--to', 'b@example.org'], { timeoutMs: 10_000, env: { SMTPCHECK_PASSWORD: PASSWORD } });
    assert.equal(result.code, ExitCode.usage);
    assert.match(result.stderr, /--auth-user given without TLS/);
    assert.equal(server.connections.length, 0, 'not even a connection');
  });

  it('--allow-plaintext-auth is the only way to send AUTH in plaintext', async () => {
    const server = await track(startResponder(smtpResponder({ ehlo: () => ['AUTH PLAIN'] })));
    const result = await authCli(server.port, '--allow-plaintext-auth');
    assert.equal(result.code, ExitCode.ok, result.stderr);
    assert.match(result.stdout, /\*\*\* server does not offer STARTTLS; continuing in plaintext/);
    assert.ok(sawAuth(server.connections[0]!));
  });
});
