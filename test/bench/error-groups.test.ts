import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ErrorGroups, exitCodeOfKind, failureOf, refusal } from '../../src/bench/error-groups.js';
import { AuthError, ConnectError, InterruptedError, ProtocolError, ReplyError, TimeoutError, TlsError, UsageError } from '../../src/core/errors.js';
import { ExitCode } from '../../src/outcome/exit-codes.js';
import type { Reply } from '../../src/core/reply.js';
import { parseEnhancedStatus } from '../../src/core/reply.js';

function reply(line: string): Reply {
  const text = line.slice(4);
  return { code: Number(line.slice(0, 3)), enhanced: parseEnhancedStatus(text), lines: [text], raw: [line] };
}

describe('ErrorGroups', () => {
  it('counts failures by step and reply code, keeping the first text as the example', () => {
    const groups = new ErrorGroups();
    groups.add(refusal('rcpt', reply('550 5.1.1 <a@example.org>: Recipient address rejected')));
    groups.add(refusal('rcpt', reply('550 5.1.1 <b@example.org>: Recipient address rejected')));
    groups.add(refusal('mail', reply('550 5.7.1 sender refused')));
    groups.add(refusal('rcpt', reply('450 4.2.0 <c@example.org>: greylisted')));
    assert.deepEqual(groups.list(), [
      { step: 'rcpt', code: 550, kind: 'refused', count: 2, example: '550 5.1.1 <a@example.org>: Recipient address rejected' },
      { step: 'mail', code: 550, kind: 'refused', count: 1, example: '550 5.7.1 sender refused' },
      { step: 'rcpt', code: 450, kind: 'refused', count: 1, example: '450 4.2.0 <c@example.org>: greylisted' },
    ]);
  });

  it('groups failures without a reply by kind: connection refusals, timeouts', () => {
    const groups = new ErrorGroups();
    for (let index = 0; index < 3; index += 1) groups.add(failureOf(new ConnectError('connect-refused', 'connection to 127.0.0.1:1 refused', 'ECONNREFUSED'))!);
    groups.add(failureOf(new TimeoutError('data', 1000, 'the reply to DATA'))!);
    assert.deepEqual(
      groups.list().map(({ step, code, kind, count, example }) => [step, code, kind, count, example]),
      [
        ['connect', null, 'connect', 3, 'ECONNREFUSED'],
        ['data', null, 'timeout', 1, 'timed out after 1 s waiting for the reply to DATA'],
      ],
    );
  });

  it('stops itemising past 100 distinct groups but still counts what it drops', () => {
    const groups = new ErrorGroups();
    for (let code = 400; code < 520; code += 1) groups.add(refusal('rcpt', reply(`${code} no`)));
    assert.equal(groups.list().length, 100);
    assert.equal(groups.ungrouped, 20);
  });
});

describe('failureOf', () => {
  it('maps each error class to the kind the exit code follows', () => {
    const refused = reply('554 5.7.1 go away');
    const cases: [unknown, string | null, number | null][] = [
      [new ReplyError('greeting', refused), 'refused', ExitCode.rejected],
      [new ConnectError('connect-refused', 'refused', 'ECONNREFUSED'), 'connect', ExitCode.connect],
      [new TlsError('starttls', 'tls-handshake', 'handshake failed'), 'tls', ExitCode.tls],
      [new AuthError('auth-rejected', 'authentication failed', { reply: reply('535 5.7.8 bad') }), 'auth', ExitCode.auth],
      [new TimeoutError('mail', 5000, 'the reply to MAIL'), 'timeout', ExitCode.protocol],
      [new ProtocolError('rcpt', 'closed-by-server', 'server closed the connection'), 'protocol', ExitCode.protocol],
      [new UsageError('bad flag'), null, null],
      [new InterruptedError('greeting'), null, null],
      [new Error('a bug'), null, null],
    ];
    for (const [error, kind, exitCode] of cases) {
      const failure = failureOf(error);
      assert.equal(failure?.kind ?? null, kind, String(error));
      if (failure) assert.equal(exitCodeOfKind(failure.kind), exitCode);
    }
  });

  it('keeps the reply code of a refused AUTH', () => {
    assert.equal(failureOf(new AuthError('auth-rejected', 'authentication failed', { reply: reply('535 5.7.8 bad') }))?.code, 535);
  });
});
