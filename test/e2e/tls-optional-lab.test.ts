import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ExitCode } from '../../src/outcome/exit-codes.js';
import type { TranscriptEvent } from '../../src/core/transcript.js';
import { postfixLab, runCli, servicePort } from './postfix-lab.js';

/**
 * --tls-optional against the real Postfix lab (docs/connection.md#tls-modes): it goes on
 * in plaintext where STARTTLS is not listed, and where the handshake fails it connects
 * once more and goes on without STARTTLS; --tls stops in both. The handshake failure is
 * real: the client offers only TLS 1.1, which `submission` refuses with a
 * protocol_version alert (its TLS hardening, docs/lab-postfix.md). A STARTTLS that is
 * listed but refused is an odd reply Postfix does not give on request: the scripted
 * servers of test/cli/tls-optional.test.ts cover it.
 */
const ONLY_TLS_1_1 = ['--tls-max', 'TLSv1.1', '--tls-ciphers', 'DEFAULT@SECLEVEL=0'];

const send = async (service: string, args: string[], env: Record<string, string> = {}) => {
  const result = await runCli(['send', '--server', `127.0.0.1:${servicePort(service)}`, '--tls-ca', postfixLab().caFile, '--from', 'p@example.net', '--to', 'john@example.org', '--timeout', '10', '--json', ...args], { timeoutMs: 30_000, env });
  const document = JSON.parse(result.stdout) as { events: TranscriptEvent[]; error?: { reason: string } };
  const events = document.events;
  const lastConnect = events.map((event) => event.type).lastIndexOf('connect');
  return {
    code: result.code,
    output: result.stdout + result.stderr,
    error: document.error,
    connects: events.filter((event) => event.type === 'connect').length,
    warned: events.some((event) => event.type === 'warn'),
    /** The commands sent on the last connection. */
    lastSent: events.slice(lastConnect).flatMap((event) => (event.type === 'send' ? [event.step] : [])),
  };
};

describe('--tls-optional on the real Postfix lab', { concurrency: true }, () => {
  it('STARTTLS not listed (no-starttls): a warning, and the message goes in plaintext (exit 0)', async () => {
    const run = await send('no-starttls', ['--tls-optional']);
    assert.equal(run.code, ExitCode.ok, run.output);
    assert.ok(run.warned);
    assert.equal(run.connects, 1);
    assert.ok(!run.lastSent.includes('starttls'));
    assert.ok(run.lastSent.includes('data'));
  });

  it('STARTTLS not listed: --tls stops with exit 3', async () => {
    const run = await send('no-starttls', ['--tls']);
    assert.equal(run.code, ExitCode.tls, run.output);
  });

  it('the handshake fails (TLS 1.1 to submission): a warning, one more connection, plaintext without STARTTLS', async () => {
    const run = await send('submission', ['--tls-optional', ...ONLY_TLS_1_1, '--quit-after', 'ehlo']);
    assert.equal(run.code, ExitCode.ok, run.output);
    assert.ok(run.warned);
    assert.equal(run.connects, 2);
    assert.deepEqual(run.lastSent, ['ehlo', 'quit']);
  });

  it('the handshake fails: --tls stops with exit 3 on the one connection', async () => {
    const run = await send('submission', ['--tls', ...ONLY_TLS_1_1, '--quit-after', 'ehlo']);
    assert.equal(run.code, ExitCode.tls, run.output);
    assert.equal(run.connects, 1);
  });

  it('the handshake fails with --auth-user: the plaintext connection sends no AUTH (exit 4)', async () => {
    const { user, password } = postfixLab().users[0]!;
    const run = await send('submission', ['--tls-optional', ...ONLY_TLS_1_1, '--auth-user', user], { SMTPCHECK_PASSWORD: password });
    assert.equal(run.code, ExitCode.auth, run.output);
    assert.equal(run.connects, 2);
    assert.ok(!run.lastSent.includes('auth'));
    assert.ok(!run.output.includes(password));
  });
});
