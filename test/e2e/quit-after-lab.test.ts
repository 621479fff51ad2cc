import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ExitCode } from '../../src/outcome/exit-codes.js';
import type { TranscriptEvent } from '../../src/core/transcript.js';
import { postfixLab, runCli, servicePort } from './postfix-lab.js';

/**
 * --quit-after's stop points around STARTTLS, with swaks's names, against the real
 * Postfix lab (docs/send.md#stopping-early): `tls` is right after the handshake, before
 * the EHLO that follows; `ehlo` is the EHLO that counts (inside TLS); `first-ehlo` the
 * one before STARTTLS. What smtpcheck sent is read from its --json transcript, and
 * Postfix's 221 to the QUIT shows it took the session's end where it came.
 */
const send = async (quitAfter: string, tls = '--tls') => {
  const result = await runCli(['send', '--server', `127.0.0.1:${servicePort('mta')}`, tls, '--tls-ca', postfixLab().caFile, '--from', 'p@example.net', '--to', 'john@example.org', '--quit-after', quitAfter, '--timeout', '10', '--json'], { timeoutMs: 30_000 });
  assert.equal(result.code, ExitCode.ok, result.stdout + result.stderr);
  const events = (JSON.parse(result.stdout) as { events: TranscriptEvent[] }).events;
  return {
    /** Each command sent, with "~" when it went inside TLS. */
    sent: events.flatMap((event) => (event.type === 'send' ? [`${event.tls ? '~' : ''}${event.step}`] : [])),
    last: events.filter((event) => event.type === 'receive').at(-1),
  };
};

describe('--quit-after around STARTTLS on the real Postfix lab', { concurrency: true }, () => {
  for (const name of ['tls', 'starttls']) {
    it(`--quit-after ${name}: QUIT is the first command inside TLS, no EHLO there, and Postfix answers 221`, async () => {
      const { sent, last } = await send(name);
      assert.deepEqual(sent, ['ehlo', 'starttls', '~quit']);
      assert.ok(last?.type === 'receive' && last.reply.code === 221 && last.tls);
    });
  }

  for (const name of ['ehlo', 'helo']) {
    it(`--quit-after ${name} with --tls is the EHLO inside TLS`, async () => {
      assert.deepEqual((await send(name)).sent, ['ehlo', 'starttls', '~ehlo', '~quit']);
    });
  }

  it('--quit-after ehlo with --tls-optional is the EHLO inside TLS too', async () => {
    assert.deepEqual((await send('ehlo', '--tls-optional')).sent, ['ehlo', 'starttls', '~ehlo', '~quit']);
  });

  for (const name of ['first-ehlo', 'first-helo']) {
    it(`--quit-after ${name} stops after the EHLO before STARTTLS`, async () => {
      assert.deepEqual((await send(name)).sent, ['ehlo', 'quit']);
    });
  }
});
