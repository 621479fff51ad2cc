import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ExitCode } from '../../src/outcome/exit-codes.js';
import { runCli } from '../e2e/postfix-lab.js';
import { startFakeServer } from '../fakes/fake-smtp-server.js';
import { serverPool } from '../fakes/hostile-peer.js';

/**
 * Issue 12, defect 4: a reply with a NUL byte or invalid UTF-8 is the server's fault,
 * and smtpcheck says so: one warning per defective reply naming the step, the line,
 * the offset and the bytes, in every output mode; the session goes on and the exit
 * code is what it would be without the bad bytes.
 */
const track = serverPool();

const bytes = (...parts: (string | number[])[]) => Buffer.concat(parts.map((part) => (typeof part === 'string' ? Buffer.from(part, 'latin1') : Buffer.from(part))));

// NUL at offset 8, and C3 followed by "(" (C3 alone is invalid) at offset 28.
const GREETING = bytes('220 fake\x00.example.org ESMTP ', [0xc3], '(x)\r\n');
// Line 3: NUL at offset 5; line 4: an overlong E0 80 80 at offset 14.
const EHLO = bytes('250-fake.example.org\r\n250-PIPELINING\r\n250-X\x00Y\r\n250 SIZE 1000 ', [0xe0, 0x80, 0x80], '\r\n');
// Invalid 0xFF at offset 13, then a NUL at offset 14 (a different problem: a second defect).
const RCPT_ACCEPTED = bytes('250 2.1.5 Ok ', [0xff], '\x00\r\n');
const RCPT_REFUSED = bytes('550 5.1.1 no ', [0xff], '\x00\r\n');

/** A server that answers a whole transaction, its greeting, EHLO and RCPT replies carrying NUL and invalid UTF-8. */
const badBytesServer = (rcptReply: Buffer) =>
  track(
    startFakeServer(async (peer) => {
      peer.socket.write(GREETING);
      let inData = false;
      for (let line = await peer.readLine(); line !== null; line = await peer.readLine()) {
        if (inData) {
          if (line === '.') {
            inData = false;
            peer.write('250 2.0.0 Ok: queued as ABC123\r\n');
          }
          continue;
        }
        const verb = line.slice(0, 4).toUpperCase();
        if (verb === 'EHLO') peer.socket.write(EHLO);
        else if (verb === 'MAIL') peer.write('250 2.1.0 Ok\r\n');
        else if (verb === 'RCPT') peer.socket.write(rcptReply);
        else if (verb === 'DATA') {
          inData = true;
          peer.write('354 go ahead\r\n');
        } else if (verb === 'QUIT') {
          peer.write('221 2.0.0 Bye\r\n');
          peer.close();
        } else peer.write('502 5.5.2 what\r\n');
      }
    }),
  );

const GREETING_WARNING = 'the greeting (220) has bytes that are not reply text: line 1: NUL byte at offset 8, invalid UTF-8 (0xC3) at offset 28';
const EHLO_WARNING = 'the reply to EHLO (250) has bytes that are not reply text: line 3: NUL byte at offset 5; line 4: invalid UTF-8 (0xE0 0x80 0x80) at offset 14';
const RCPT_WARNING = (code: number) => `the reply to RCPT (${code}) has bytes that are not reply text: line 1: invalid UTF-8 (0xFF) at offset 13, NUL byte at offset 14`;

// Any control character a terminal would act on (\n ends lines, \t is harmless), or U+FFFD.
const RAW_CONTROL = /[\x00-\x08\x0b-\x1f\x7f-\x9f\ufffd]/;
const occurrences = (text: string, part: string) => text.split(part).length - 1;

function assertNoRawBytes(result: { stdout: string; stderr: string }): void {
  assert.doesNotMatch(result.stdout, RAW_CONTROL, 'stdout carries a raw control character');
  assert.doesNotMatch(result.stderr, RAW_CONTROL, 'stderr carries a raw control character');
}

const send = (port: number, ...extra: string[]) => runCli(['send', '--server', `127.0.0.1:${port}`, '--from', 'a@example.org', '--to', 'b@example.org', '--timeout', '2', ...extra], { timeoutMs: 15_000 });
const caps = (port: number, ...extra: string[]) => runCli(['caps', '--server', `127.0.0.1:${port}`, '--timeout', '2', ...extra], { timeoutMs: 15_000 });

describe('replies with NUL bytes and invalid UTF-8', { concurrency: true }, () => {
  it('send: one warning per defective reply, naming the step, line, offset and bytes; the message is still sent, exit 0', async () => {
    const server = await badBytesServer(RCPT_ACCEPTED);
    const result = await send(server.port);
    assert.equal(result.code, ExitCode.ok, result.stderr);
    for (const warning of [GREETING_WARNING, EHLO_WARNING, RCPT_WARNING(250)]) assert.equal(occurrences(result.stdout, `*** ${warning}\n`), 1, result.stdout);
    assert.equal(occurrences(result.stdout, 'has bytes that are not reply text'), 3, 'one warning per defective reply, none for the clean ones');
    assert.match(result.stdout, /250 2\.0\.0 Ok: queued as ABC123/);
    assert.match(result.stdout, /<-  220 fake\\x00\.example\.org ESMTP \\xc3\(x\)/, 'the reply itself is still shown, escaped');
    assertNoRawBytes(result);
  });

  it('send, RCPT refused: the warning does not change the outcome, exit 5 as without the bad bytes', async () => {
    const server = await badBytesServer(RCPT_REFUSED);
    const result = await send(server.port);
    assert.equal(result.code, ExitCode.rejected, result.stderr);
    assert.equal(occurrences(result.stdout, `*** ${RCPT_WARNING(550)}\n`), 1, result.stdout);
    assertNoRawBytes(result);
  });

  it('caps: the greeting and EHLO warnings, and the capabilities as sent', async () => {
    const server = await badBytesServer(RCPT_ACCEPTED);
    const result = await caps(server.port);
    assert.equal(result.code, ExitCode.ok, result.stderr);
    assert.equal(occurrences(result.stdout, `*** ${GREETING_WARNING}\n`), 1, result.stdout);
    assert.equal(occurrences(result.stdout, `*** ${EHLO_WARNING}\n`), 1, result.stdout);
    assert.match(result.stdout, /PIPELINING/);
    assertNoRawBytes(result);
  });

  it('caps --quiet: the warnings on stderr, the one summary line on stdout', async () => {
    const server = await badBytesServer(RCPT_ACCEPTED);
    const result = await caps(server.port, '--quiet');
    assert.equal(result.code, ExitCode.ok, result.stderr);
    for (const warning of [GREETING_WARNING, EHLO_WARNING]) assert.equal(occurrences(result.stderr, `smtpcheck: warning: ${warning}\n`), 1, result.stderr);
    assert.equal(result.stdout.trim().split('\n').length, 1, result.stdout);
    assertNoRawBytes(result);
  });

  it('send --json: valid JSON carrying each defect as data (hex bytes, offsets), the text \\u0000-escaped, never a raw NUL', async () => {
    const server = await badBytesServer(RCPT_ACCEPTED);
    const result = await send(server.port, '--json');
    assert.equal(result.code, ExitCode.ok, result.stderr);
    assert.ok(!result.stdout.includes('\x00'), 'a raw NUL in the JSON');
    assertNoRawBytes(result);
    const document = JSON.parse(result.stdout);
    const warnings = document.events.filter((event: { type: string; kind?: string }) => event.type === 'warn' && event.kind === 'reply-bytes');
    assert.deepEqual(
      warnings.map(({ step, code, defects, message }: { step: string; code: number; defects: unknown; message: string }) => ({ step, code, defects, message })),
      [
        {
          step: 'greeting',
          code: 220,
          defects: { found: [{ line: 1, offset: 8, problem: 'nul', length: 1, bytes: '00' }, { line: 1, offset: 28, problem: 'invalid-utf8', length: 1, bytes: 'c3' }], omitted: 0 },
          message: GREETING_WARNING,
        },
        {
          step: 'ehlo',
          code: 250,
          defects: { found: [{ line: 3, offset: 5, problem: 'nul', length: 1, bytes: '00' }, { line: 4, offset: 14, problem: 'invalid-utf8', length: 3, bytes: 'e08080' }], omitted: 0 },
          message: EHLO_WARNING,
        },
        {
          step: 'rcpt',
          code: 250,
          defects: { found: [{ line: 1, offset: 13, problem: 'invalid-utf8', length: 1, bytes: 'ff' }, { line: 1, offset: 14, problem: 'nul', length: 1, bytes: '00' }], omitted: 0 },
          message: RCPT_WARNING(250),
        },
      ],
    );
    const greeting = document.events.find((event: { type: string; step?: string }) => event.type === 'receive' && event.step === 'greeting');
    assert.equal(greeting.reply.raw[0], '220 fake\u0000.example.org ESMTP \\xc3(x)', 'the reply as received, its NUL escaped by JSON');
    assert.match(result.stdout, /220 fake\\u0000\.example\.org/);
    assert.equal(occurrences(result.stderr, 'has bytes that are not reply text'), 3, result.stderr);
  });
});
