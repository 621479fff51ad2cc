import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { authenticate } from '../../src/core/authenticate.js';
import { establishSession } from '../../src/core/establish.js';
import { ProtocolError, SmtpCheckError, TlsError } from '../../src/core/errors.js';
import { ExitCode, exitCodeFor } from '../../src/outcome/exit-codes.js';
import type { SmtpSession } from '../../src/core/session.js';
import { runCli } from '../e2e/postfix-lab.js';
import { startFakeServer } from '../fakes/fake-smtp-server.js';
import { clientGone, coreOptions, DEMO_TLS, demoCaFile, serverPool, sleep } from '../fakes/hostile-peer.js';
import type { ResponderState, ServerStep } from '../fakes/smtp-responder.js';
import { smtpResponder, startResponder } from '../fakes/smtp-responder.js';
import { hintFor } from '../../src/outcome/error-hints.js';

/**
 * Issue 6, the server hangs up: a close (FIN) or a reset (RST) at any step, and TLS
 * alerts, end the run with a typed error that names the step; none is ever a pass.
 */
const track = serverPool();

type Ending = 'close' | 'reset';

/** A good server that ends the connection instead of answering `at`; a reset first sends half a reply. */
const endsAt = (at: ServerStep, ending: Ending = 'close') =>
  track(
    startResponder(
      smtpResponder({
        override: (step, _line, state: ResponderState) => {
          if (step !== at) return undefined;
          if (ending === 'close') state.peer.close();
          else {
            state.peer.write('250-fake.example.org\r\n250-PIPEL');
            setTimeout(() => state.tcp.resetAndDestroy(), 20);
          }
          return null;
        },
      }),
    ),
  );

/** Run a full submission (STARTTLS, AUTH, MAIL, RCPT, DATA) as far as the server lets it. */
async function submission(port: number): Promise<void> {
  let session: SmtpSession | null = null;
  try {
    session = await establishSession(coreOptions(port, { tlsMode: 'starttls' }));
    await authenticate(session, { user: 'john@example.org', secret: 'summersun' });
    assert.equal((await session.mailFrom('a@example.org')).code, 250);
    assert.equal((await session.rcptTo('b@example.org')).code, 250);
    await session.data([Buffer.from('Subject: x\r\n\r\nhi\r\n')]);
  } finally {
    session?.close();
  }
}

const WAITING_FOR: Partial<Record<ServerStep, string>> = {
  ehlo: 'the reply to EHLO',
  starttls: 'the reply to STARTTLS',
  auth: 'the reply to AUTH',
  mail: 'the reply to MAIL',
  rcpt: 'the reply to RCPT',
  data: 'the reply to DATA or to the end of the message',
  dot: 'the reply to DATA or to the end of the message',
};

describe('the server closes the connection at every step', { concurrency: true }, () => {
  it('before the greeting: "server closed the connection while waiting for the server greeting (220)"', async () => {
    const server = await track(startFakeServer(async (peer) => peer.close()));
    await assert.rejects(submission(server.port), (error: unknown) => error instanceof ProtocolError && error.step === 'greeting' && /server closed the connection while waiting for the server greeting \(220\)/.test(error.message));
  });

  for (const [at, waiting] of Object.entries(WAITING_FOR) as [ServerStep, string][]) {
    const step = at === 'dot' ? 'data' : at;
    it(`instead of answering ${at === 'dot' ? 'the final dot' : at.toUpperCase()}: ProtocolError at ${step.toUpperCase()}`, async () => {
      const server = await endsAt(at);
      await assert.rejects(submission(server.port), (error: unknown) => {
        assert.ok(error instanceof ProtocolError, String(error));
        assert.equal(error.step, step);
        assert.equal(error.message, `server closed the connection while waiting for ${waiting}`);
        return true;
      });
    });
  }

  it('during the TLS handshake after STARTTLS 220: TlsError at STARTTLS (exit 3), nothing sent in plaintext after', async () => {
    const server = await track(
      startFakeServer(async (peer) => {
        peer.write('220 fake ESMTP\r\n');
        await peer.answer('250-fake.example.org\r\n250-STARTTLS\r\n250 AUTH PLAIN\r\n');
        await peer.answer('220 2.0.0 Ready to start TLS\r\n');
        await sleep(20);
        peer.destroy();
      }),
    );
    await assert.rejects(submission(server.port), (error: unknown) => error instanceof TlsError && error.step === 'starttls' && /closed the connection during the TLS handshake|TLS handshake failed: ECONNRESET/.test(error.message));
    const lines = server.connections[0]!;
    assert.deepEqual(lines.slice(0, 2), ['EHLO client.example.com', 'STARTTLS']);
    assert.ok(!lines.slice(2).some((line) => /^(EHLO|AUTH|MAIL)/.test(line)), 'only the ClientHello followed STARTTLS');
  });

  it('through the CLI, a close after MAIL exits 6 and names MAIL', async () => {
    const server = await endsAt('mail');
    const result = await runCli(['send', '--server', `127.0.0.1:${server.port}`, '--tls', '--tls-ca', demoCaFile(), '--from', 'a@example.org', '--to', 'b@example.org', '--timeout', '2'], { timeoutMs: 10_000 });
    assert.equal(result.code, ExitCode.protocol);
    assert.match(result.stderr, /^smtpcheck: error: server closed the connection while waiting for the reply to MAIL — /);
  });

  it('through the CLI, a close after the final dot exits 6: a message without its final reply is not "sent"', async () => {
    const server = await endsAt('dot');
    const result = await runCli(['send', '--server', `127.0.0.1:${server.port}`, '--from', 'a@example.org', '--to', 'b@example.org', '--timeout', '2'], { timeoutMs: 10_000 });
    assert.equal(result.code, ExitCode.protocol);
    assert.match(result.stderr, /server closed the connection while waiting for the reply to DATA or to the end of the message/);
    assert.doesNotMatch(result.stdout, /accepted for/);
  });
});

describe('the server resets the connection (RST) mid-reply', { concurrency: true }, () => {
  it('in plaintext, halfway through the EHLO reply: "connection reset by the server while waiting for the reply to EHLO"', async () => {
    const server = await endsAt('ehlo', 'reset');
    await assert.rejects(establishSession(coreOptions(server.port)), (error: unknown) => error instanceof ProtocolError && error.step === 'ehlo' && /^connection reset by the server while waiting for the reply to EHLO/.test(error.message));
  });

  it('inside TLS, halfway through a reply: a typed error naming the step, no crash', async () => {
    const server = await endsAt('mail', 'reset');
    await assert.rejects(submission(server.port), (error: unknown) => error instanceof SmtpCheckError && error.step === 'mail' && /^connection reset by the server while waiting for the reply to MAIL/.test(error.message));
  });

  it('through the CLI: exit 6, one line', async () => {
    const server = await endsAt('ehlo', 'reset');
    const result = await runCli(['caps', '--server', `127.0.0.1:${server.port}`, '--timeout', '2'], { timeoutMs: 10_000 });
    assert.equal(result.code, ExitCode.protocol);
    assert.match(result.stderr, /^smtpcheck: error: connection reset by the server while waiting for the reply to EHLO — /);
    assert.equal(result.stderr.trim().split('\n').length, 1);
  });
});

describe('TLS alerts and non-TLS answers to the ClientHello', { concurrency: true }, () => {
  const starttlsServer = (tlsOptions: object) =>
    track(startResponder(smtpResponder(), { tls: { ...DEMO_TLS, ...tlsOptions } }));

  it('protocol_version alert (server TLS 1.3 only, client --tls-max TLSv1.2): exit 3 with the OpenSSL reason', async () => {
    const server = await starttlsServer({ minVersion: 'TLSv1.3' });
    const result = await runCli(['caps', '--server', `127.0.0.1:${server.port}`, '--tls', '--tls-ca', demoCaFile(), '--tls-max', 'TLSv1.2', '--timeout', '2'], { timeoutMs: 10_000 });
    assert.equal(result.code, ExitCode.tls);
    assert.match(result.stderr, /TLS handshake failed: ERR_SSL_TLSV1_ALERT_PROTOCOL_VERSION/);
    assert.match(result.stderr, /--tls-min TLSv1 --tls-ciphers DEFAULT@SECLEVEL=0|share a TLS version/);
  });

  it('handshake_failure alert (TLS 1.2 server demanding a client certificate): TlsError at STARTTLS', async () => {
    const server = await starttlsServer({ maxVersion: 'TLSv1.2', requestCert: true, rejectUnauthorized: true, ca: [] });
    await assert.rejects(establishSession(coreOptions(server.port, { tlsMode: 'starttls' })), (error: unknown) => error instanceof TlsError && error.step === 'starttls' && /TLS handshake failed: ERR_SSL_SSLV3_ALERT_HANDSHAKE_FAILURE/.test(error.message));
    assert.ok(!server.connections[0]!.some((line) => /^(AUTH|MAIL)/.test(line)));
  });

  it('certificate_required alert after a TLS 1.3 handshake: TlsError (exit 3) at the EHLO inside TLS', async () => {
    const server = await starttlsServer({ minVersion: 'TLSv1.3', requestCert: true, rejectUnauthorized: true, ca: [] });
    await assert.rejects(establishSession(coreOptions(server.port, { tlsMode: 'starttls' })), (error: unknown) => {
      assert.ok(error instanceof TlsError, String(error));
      assert.equal(exitCodeFor(error.reason), ExitCode.tls);
      assert.equal(error.step, 'ehlo');
      assert.match(error.message, /CERTIFICATE_REQUIRED/);
      assert.match(hintFor(error) ?? '', /--tls-cert/);
      return true;
    });
  });

  it('a record that does not decrypt, after the handshake: "TLS error after the handshake", not "handshake failed" (exit 3)', async () => {
    const server = await track(
      startResponder(
        smtpResponder({
          override: (step, _line, state: ResponderState) => {
            if (step !== 'mail' || !state.tls) return undefined;
            // An application-data record with a MAC nobody computed, under the TLS layer.
            state.tcp.write(Buffer.concat([Buffer.from([0x17, 0x03, 0x03, 0x00, 0x20]), Buffer.alloc(32, 7)]));
            return null;
          },
        }),
      ),
    );
    const result = await runCli(['send', '--server', `127.0.0.1:${server.port}`, '--tls', '--tls-ca', demoCaFile(), '--from', 'a@example.org', '--to', 'b@example.org', '--timeout', '2'], { timeoutMs: 10_000 });
    assert.equal(result.code, ExitCode.tls);
    assert.match(result.stderr, /TLS error after the handshake while waiting for the reply to MAIL: ERR_SSL_\w+ \(decryption failed or bad record mac\)/);
    assert.doesNotMatch(result.stderr, /handshake failed/);
  });

  it('plaintext instead of a ServerHello: exit 3 with the "did not answer with TLS" hint', async () => {
    const server = await track(
      startFakeServer(async (peer) => {
        peer.write('220 fake ESMTP\r\n');
        await peer.answer('250-fake.example.org\r\n250 STARTTLS\r\n');
        await peer.answer('220 2.0.0 Ready to start TLS\r\n');
        peer.socket.once('data', () => peer.write('500 5.5.1 what is this binary thing?\r\n'));
        await clientGone(peer);
      }),
    );
    const result = await runCli(['caps', '--server', `127.0.0.1:${server.port}`, '--tls', '--timeout', '2'], { timeoutMs: 10_000 });
    assert.equal(result.code, ExitCode.tls);
    assert.match(result.stderr, /TLS handshake failed: .*(wrong version number|packet length too long)/i);
  });
});
