import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { authenticate } from '../../src/core/authenticate.js';
import { establishSession } from '../../src/core/establish.js';
import { TimeoutError, TlsError } from '../../src/core/errors.js';
import { ExitCode, exitCodeFor } from '../../src/outcome/exit-codes.js';
import { SmtpSession } from '../../src/core/session.js';
import { runCli } from '../e2e/postfix-lab.js';
import { startFakeServer } from '../fakes/fake-smtp-server.js';
import { clientGone, coreOptions, demoCaFile, drip, serverPool, SHORT_TIMEOUTS } from '../fakes/hostile-peer.js';
import type { ServerStep } from '../fakes/smtp-responder.js';
import { smtpResponder, startResponder } from '../fakes/smtp-responder.js';

/**
 * Issue 6, silence: a server that stops answering at any step ends the run with a
 * timeout that names the step, within the limit plus a small margin, never a hang.
 */
const track = serverPool();
// Generous: timers fire late on a loaded CI machine, and the point is "bounded", not "exact".
const MARGIN_MS = 1500;

const silentAt = (silent: ServerStep) =>
  track(startResponder(smtpResponder({ override: (step) => (step === silent ? null : undefined) })));

async function timed<T>(work: Promise<T>): Promise<{ error: unknown; ms: number }> {
  const started = performance.now();
  try {
    await work;
    return { error: null, ms: performance.now() - started };
  } catch (error) {
    return { error, ms: performance.now() - started };
  }
}

function assertTimeout(outcome: { error: unknown; ms: number }, step: string, limitMs: number, wording: RegExp): void {
  const { error, ms } = outcome;
  assert.ok(error instanceof TimeoutError, `expected a TimeoutError, got ${String(error)}`);
  assert.equal(error.step, step);
  assert.match(error.message, wording);
  assert.equal(exitCodeFor(error.reason), ExitCode.protocol);
  assert.ok(ms >= limitMs - 50 && ms < limitMs + MARGIN_MS, `took ${Math.round(ms)} ms for a ${limitMs} ms limit`);
}

describe('silent servers: each step times out and names itself', { concurrency: true }, () => {
  it('no greeting: times out waiting for the 220 greeting', async () => {
    const server = await track(startFakeServer(clientGone));
    assertTimeout(await timed(SmtpSession.open(coreOptions(server.port))), 'greeting', SHORT_TIMEOUTS.greetingMs, /waiting for the server greeting \(220\)/);
  });

  it('greeting, then silence after EHLO: times out waiting for the reply to EHLO', async () => {
    const server = await silentAt('ehlo');
    assertTimeout(await timed(establishSession(coreOptions(server.port))), 'ehlo', SHORT_TIMEOUTS.commandMs, /waiting for the reply to EHLO/);
  });

  it('silence after STARTTLS: times out waiting for the reply to STARTTLS, never continues in plaintext', async () => {
    const server = await silentAt('starttls');
    assertTimeout(await timed(establishSession(coreOptions(server.port, { tlsMode: 'starttls' }))), 'starttls', SHORT_TIMEOUTS.commandMs, /waiting for the reply to STARTTLS/);
    assert.ok(!server.connections[0]!.some((line) => /^(AUTH|MAIL)/.test(line)));
  });

  it('silence after AUTH: times out waiting for the reply to AUTH', async () => {
    const server = await silentAt('auth');
    const session = await establishSession(coreOptions(server.port, { tlsMode: 'starttls' }));
    assertTimeout(await timed(authenticate(session, { user: 'john@example.org', secret: 'summersun' })), 'auth', SHORT_TIMEOUTS.commandMs, /waiting for the reply to AUTH/);
    session.close();
  });

  for (const [step, command] of [['mail', 'MAIL'], ['rcpt', 'RCPT']] as const) {
    it(`silence after ${command}: times out waiting for the reply to ${command}`, async () => {
      const server = await silentAt(step);
      const session = await establishSession(coreOptions(server.port));
      const work = step === 'mail' ? session.mailFrom('a@example.org') : session.mailFrom('a@example.org').then(() => session.rcptTo('b@example.org'));
      assertTimeout(await timed(work), step, SHORT_TIMEOUTS.commandMs, new RegExp(`waiting for the reply to ${command}`));
      session.close();
    });
  }

  it('silence after DATA (no 354): times out at the DATA step', async () => {
    const server = await silentAt('data');
    const session = await establishSession(coreOptions(server.port));
    await session.mailFrom('a@example.org');
    await session.rcptTo('b@example.org');
    assertTimeout(await timed(session.data([Buffer.from('Subject: x\r\n\r\nhi\r\n')])), 'data', SHORT_TIMEOUTS.commandMs, /waiting for the reply to DATA/);
    session.close();
  });

  it("silence after DATA's 354 and the final dot: times out on the data timeout, not the command one", async () => {
    const server = await silentAt('dot');
    const session = await establishSession(coreOptions(server.port));
    await session.mailFrom('a@example.org');
    await session.rcptTo('b@example.org');
    assertTimeout(await timed(session.data([Buffer.from('Subject: x\r\n\r\nhi\r\n')])), 'data', SHORT_TIMEOUTS.dataMs, /end of the message/);
    session.close();
    assert.ok(server.connections[0]!.includes('.'), 'the end of data was sent');
  });
});

describe('silent and slow servers through the CLI (exit 6, one line naming the step)', { concurrency: true }, () => {
  const oneLine = (stderr: string) => assert.equal(stderr.trim().split('\n').length, 1, stderr);

  it('no greeting: exit 6 within the greeting timeout, with the implicit-TLS hint', async () => {
    const server = await track(startFakeServer(clientGone));
    const started = performance.now();
    const result = await runCli(['caps', '--server', `127.0.0.1:${server.port}`, '--greeting-timeout', '0.5'], { timeoutMs: 10_000 });
    assert.equal(result.code, ExitCode.protocol);
    oneLine(result.stderr);
    assert.match(result.stderr, /timed out after 0\.5 s waiting for the server greeting \(220\) — if this is an implicit-TLS port \(465\), add --tls-on-connect/);
    assert.ok(performance.now() - started < 5000);
  });

  it('a reply dripped one byte per 100 ms hits the per-reply deadline, not an idle timer: exit 6 at EHLO', async () => {
    const server = await track(
      startFakeServer(async (peer) => {
        peer.write('220 fake ESMTP\r\n');
        await peer.readLine();
        // 10 s of bytes at 100 ms each: an idle timer would never fire.
        await drip(peer, `250-fake.example.org\r\n${'250-PIPELINING\r\n'.repeat(5)}250 SIZE 1000000\r\n`, 100);
      }),
    );
    const started = performance.now();
    const result = await runCli(['caps', '--server', `127.0.0.1:${server.port}`, '--command-timeout', '1'], { timeoutMs: 10_000 });
    const elapsed = performance.now() - started;
    assert.equal(result.code, ExitCode.protocol);
    oneLine(result.stderr);
    assert.match(result.stderr, /timed out after 1 s waiting for the reply to EHLO/);
    assert.ok(elapsed < 6000, `took ${Math.round(elapsed)} ms although the server kept sending bytes`);
  });

  it('silence after the final dot: `send` exits 6 naming the end of the message', async () => {
    const server = await silentAt('dot');
    const result = await runCli(['send', '--server', `127.0.0.1:${server.port}`, '--from', 'a@example.org', '--to', 'b@example.org', '--timeout', '2', '--data-timeout', '0.5'], { timeoutMs: 10_000 });
    assert.equal(result.code, ExitCode.protocol);
    oneLine(result.stderr);
    assert.match(result.stderr, /timed out after 0\.5 s waiting for the reply to DATA or to the end of the message/);
  });

  it('silence after AUTH inside TLS: `auth` exits 6 naming AUTH', async () => {
    const server = await silentAt('auth');
    const result = await runCli(['auth', '--server', `127.0.0.1:${server.port}`, '--tls-ca', demoCaFile(), '--auth-user', 'john@example.org', '--command-timeout', '0.5'], {
      timeoutMs: 10_000,
      env: { SMTPCHECK_PASSWORD: 'summersun' },
    });
    assert.equal(result.code, ExitCode.protocol);
    assert.match(result.stderr, /timed out after 0\.5 s waiting for the reply to AUTH/);
  });
});

describe('a TLS handshake that never finishes', { concurrency: true }, () => {
  it('STARTTLS accepted, then nothing: TlsError at STARTTLS within the connect timeout', async () => {
    const server = await track(
      startFakeServer(async (peer) => {
        peer.write('220 fake ESMTP\r\n');
        await peer.answer('250-fake.example.org\r\n250 STARTTLS\r\n');
        await peer.answer('220 2.0.0 Ready to start TLS\r\n');
        await clientGone(peer);
      }),
    );
    const outcome = await timed(establishSession(coreOptions(server.port, { tlsMode: 'starttls' })));
    assert.ok(outcome.error instanceof TlsError && outcome.error.step === 'starttls', String(outcome.error));
    assert.match((outcome.error as TlsError).message, /TLS handshake did not finish within 3 s after STARTTLS/);
    assert.ok(outcome.ms < SHORT_TIMEOUTS.connectMs + MARGIN_MS);
  });

  it('implicit TLS port that never answers the ClientHello: `caps --tls-on-connect` exits 3', async () => {
    const server = await track(startFakeServer(clientGone));
    const result = await runCli(['caps', '--server', `127.0.0.1:${server.port}`, '--tls-on-connect', '--connect-timeout', '0.5'], { timeoutMs: 10_000 });
    assert.equal(result.code, ExitCode.tls);
    assert.match(result.stderr, /no TLS handshake with 127\.0\.0\.1:\d+ within 0\.5 s/);
  });
});
