import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { authenticate } from '../../src/core/authenticate.js';
import { establishSession } from '../../src/core/establish.js';
import { AuthError, ReplyError, TlsError } from '../../src/core/errors.js';
import { ExitCode } from '../../src/outcome/exit-codes.js';
import { runCli } from '../e2e/postfix-lab.js';
import { startFakeServer } from '../fakes/fake-smtp-server.js';
import { coreOptions, demoCaFile, serverPool } from '../fakes/hostile-peer.js';
import type { ServerStep } from '../fakes/smtp-responder.js';
import { smtpResponder, startResponder } from '../fakes/smtp-responder.js';
import { hintFor } from '../../src/outcome/error-hints.js';

/**
 * docs/security.md#every-outcome-is-typed-and-a-failure-is-never-a-pass: strange but legal replies end in a one-line error with
 * the documented exit code, and a refusal at any step is never reported as success.
 */
const track = serverPool();

const answering = (at: ServerStep, reply: string, greeting?: string) =>
  track(startResponder(smtpResponder({ override: (step) => (step === at ? reply : undefined) }), greeting ? { greeting } : {}));

const send = (port: number, ...extra: string[]) =>
  runCli(['send', '--server', `127.0.0.1:${port}`, '--from', 'a@example.org', '--to', 'b@example.org', '--timeout', '2', ...extra], { timeoutMs: 10_000, env: { SMTPCHECK_PASSWORD: 'summersun' } });

describe('421 (service closing) at any point is a refusal, never a pass', { concurrency: true }, () => {
  const CLOSING = '421 4.3.2 fake.example.org Service shutting down';
  const cases: { at: ServerStep | 'greeting'; exit: number; stderr: RegExp; extra?: string[] }[] = [
    { at: 'greeting', exit: ExitCode.rejected, stderr: /GREETING refused: 421 4\.3\.2/ },
    { at: 'ehlo', exit: ExitCode.rejected, stderr: /EHLO refused: 421 4\.3\.2 .* — the server is closing the connection/ },
    { at: 'starttls', exit: ExitCode.tls, stderr: /server refused STARTTLS: 421 4\.3\.2/, extra: ['--tls', '--tls-ca', demoCaFile()] },
    { at: 'auth', exit: ExitCode.auth, stderr: /authentication as john@example\.org failed: 421 4\.3\.2/, extra: ['--tls', '--tls-ca', demoCaFile(), '--auth-user', 'john@example.org'] },
    { at: 'mail', exit: ExitCode.rejected, stderr: /MAIL refused: 421 4\.3\.2/ },
    { at: 'rcpt', exit: ExitCode.rejected, stderr: /RCPT refused: 421 4\.3\.2/ },
    { at: 'data', exit: ExitCode.rejected, stderr: /DATA refused: 421 4\.3\.2/ },
    { at: 'dot', exit: ExitCode.rejected, stderr: /DATA refused: 421 4\.3\.2/ },
  ];
  for (const { at, exit, stderr, extra = [] } of cases) {
    it(`421 ${at === 'greeting' ? 'as the greeting' : `to ${at === 'dot' ? 'the final dot' : at.toUpperCase()}`}: \`send\` exits ${exit}`, async () => {
      const server = await (at === 'greeting' ? answering('other', '', CLOSING) : answering(at, CLOSING));
      const result = await send(server.port, ...extra);
      assert.equal(result.code, exit, result.stderr);
      assert.match(result.stderr, stderr);
      assert.equal(result.stderr.trim().split('\n').length, 1);
      assert.doesNotMatch(result.stdout, /accepted for/);
    });
  }

  it('421 to EHLO is a ReplyError at EHLO, and HELO is not tried', async () => {
    const server = await answering('ehlo', '421 4.3.2 go away');
    await assert.rejects(establishSession(coreOptions(server.port)), (error: unknown) => error instanceof ReplyError && error.step === 'ehlo' && error.reply.code === 421);
    assert.ok(!server.connections[0]!.some((line) => line.startsWith('HELO')));
  });

  it('421 to AUTH is an AuthError carrying the reply', async () => {
    const server = await answering('auth', '421 4.3.2 go away');
    const session = await establishSession(coreOptions(server.port, { tlsMode: 'starttls' }));
    await assert.rejects(authenticate(session, { user: 'john@example.org', secret: 'summersun' }), (error: unknown) => error instanceof AuthError && error.reply?.code === 421);
    session.close();
  });
});

describe('other odd replies', { concurrency: true }, () => {
  it('554 greeting: exit 5, "refuses service to this client"', async () => {
    const server = await track(startResponder(smtpResponder(), { greeting: '554 5.7.1 fake.example.org no SMTP service here' }));
    const result = await send(server.port);
    assert.equal(result.code, ExitCode.rejected);
    assert.match(result.stderr, /GREETING refused: 554 5\.7\.1 .* — the server refuses service to this client \(RFC 5321 §3\.1\)/);
  });

  it('EHLO refused as unknown (500), HELO accepted: the message is sent over HELO', async () => {
    const server = await answering('ehlo', '500 5.5.1 Error: unknown command');
    const result = await send(server.port);
    assert.equal(result.code, ExitCode.ok, result.stderr);
    assert.match(result.stdout, /accepted for 1 of 1 recipient/);
    assert.deepEqual(server.connections[0]!.slice(0, 2).map((line) => line.split(' ')[0]), ['EHLO', 'HELO']);
  });

  it('EHLO refused by policy (550): exit 5 at EHLO, no HELO fallback', async () => {
    const server = await answering('ehlo', '550 5.7.1 you are not welcome');
    const result = await send(server.port);
    assert.equal(result.code, ExitCode.rejected);
    assert.match(result.stderr, /EHLO refused: 550 5\.7\.1/);
    assert.ok(!server.connections[0]!.some((line) => line.startsWith('HELO')));
  });

  it('EHLO and HELO both refused: exit 5 naming HELO', async () => {
    const server = await track(startResponder(smtpResponder({ override: (step) => (step === 'ehlo' ? '502 5.5.2 no' : step === 'helo' ? '501 5.5.2 bad name' : undefined) })));
    const result = await send(server.port);
    assert.equal(result.code, ExitCode.rejected);
    assert.match(result.stderr, /HELO refused: 501 5\.5\.2 bad name/);
  });

  it('4xx to STARTTLS with --tls: TlsError, the reply kept for the user', async () => {
    const server = await answering('starttls', '454 4.7.0 TLS not available due to local problem');
    await assert.rejects(establishSession(coreOptions(server.port, { tlsMode: 'starttls' })), (error: unknown) => error instanceof TlsError && error.reply?.code === 454 && /cannot start TLS now/.test(hintFor(error) ?? ''));
  });

  it('2xx replies with no text at all (just "220", "250", "354") carry a whole transaction', async () => {
    const server = await track(
      startFakeServer(async (peer) => {
        peer.write('220\r\n');
        for (let line = await peer.readLine(); line !== null; line = await peer.readLine()) {
          if (/^QUIT/i.test(line)) {
            peer.write('221\r\n');
            peer.close();
          } else if (/^DATA/i.test(line)) peer.write('354\r\n');
          else if (line === '.' || /^(EHLO|MAIL|RCPT)/i.test(line)) peer.write('250\r\n');
        }
      }),
    );
    const result = await send(server.port);
    assert.equal(result.code, ExitCode.ok, result.stderr);
    assert.match(result.stdout, /accepted for 1 of 1 recipient/);
  });

  it('a 5xx to QUIT after an accepted message does not undo the success', async () => {
    const server = await track(startResponder(smtpResponder({ override: (step, line) => (step === 'other' && /^QUIT/i.test(line) ? '500 5.5.2 what?' : undefined) })));
    const result = await send(server.port);
    assert.equal(result.code, ExitCode.ok, result.stderr);
  });

  it('a refused recipient among accepted ones is exit 5, not success', async () => {
    const server = await track(startResponder(smtpResponder({ override: (step, line) => (step === 'rcpt' && /bad@/.test(line) ? '550 5.1.1 <bad@example.org>: Recipient address rejected: User unknown' : undefined) })));
    const result = await runCli(['send', '--server', `127.0.0.1:${server.port}`, '--from', 'a@example.org', '--to', 'b@example.org,bad@example.org', '--timeout', '2'], { timeoutMs: 10_000 });
    assert.equal(result.code, ExitCode.rejected);
    assert.match(result.stdout, /accepted for 1 of 2 recipient/);
  });
});
