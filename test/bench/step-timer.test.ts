import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { BenchStep } from '../../src/bench/step-timer.js';
import { StepTimer } from '../../src/bench/step-timer.js';
import type { SmtpStep } from '../../src/core/errors.js';
import type { Reply } from '../../src/core/reply.js';
import type { TranscriptEvent } from '../../src/core/transcript.js';
import type { TlsSessionInfo } from '../../src/core/tls-session.js';

const reply = (code: number): Reply => ({ code, enhanced: null, lines: [''], raw: [String(code)] });
const send = (step: SmtpStep, text = step.toUpperCase()): TranscriptEvent => ({ type: 'send', at: 0, step, text, tls: false, redacted: false });
const receive = (step: SmtpStep, code: number): TranscriptEvent => ({ type: 'receive', at: 0, step, reply: reply(code), tls: false, latencyMs: 0 });
const connect: TranscriptEvent = { type: 'connect', at: 0, host: '127.0.0.1', port: 25, address: '127.0.0.1', implicitTls: false };
const tls: TranscriptEvent = { type: 'tls', at: 0, session: {} as TlsSessionInfo };

/** Feed events at the given times (ms) and collect the samples. */
function timeline(startedAt: number, events: [number, TranscriptEvent][]): [BenchStep, number][] {
  const samples: [BenchStep, number][] = [];
  const timer = new StepTimer(startedAt, (step, ms) => samples.push([step, ms]));
  for (const [at, event] of events) timer.onEvent(event, at);
  return samples;
}

describe('StepTimer', () => {
  it('times connect, greeting, EHLO, STARTTLS (to the end of the handshake) and the EHLO inside TLS', () => {
    assert.deepEqual(
      timeline(100, [
        [103, connect],
        [105, receive('greeting', 220)],
        [106, send('ehlo')],
        [107, receive('ehlo', 250)],
        [108, send('starttls')],
        [109, receive('starttls', 220)],
        [120, tls],
        [121, send('ehlo')],
        [123, receive('ehlo', 250)],
      ]),
      [
        ['connect', 3],
        ['greeting', 2],
        ['ehlo', 1],
        ['starttls', 12],
        ['ehlo', 2],
      ],
    );
  });

  it('times AUTH from the first line to the final reply, across 334 challenges', () => {
    assert.deepEqual(
      timeline(0, [
        [10, send('auth')],
        [11, receive('auth', 334)],
        [12, send('auth')],
        [13, receive('auth', 334)],
        [14, send('auth')],
        [16, receive('auth', 235)],
      ]),
      [['auth', 6]],
    );
  });

  it('times DATA from the command to the reply after the message, not to the 354', () => {
    assert.deepEqual(
      timeline(0, [
        [10, send('mail')],
        [11, receive('mail', 250)],
        [12, send('rcpt')],
        [14, receive('rcpt', 250)],
        [20, send('data')],
        [21, receive('data', 354)],
        [25, send('data', '.')],
        [30, receive('data', 250)],
      ]),
      [
        ['mail', 1],
        ['rcpt', 2],
        ['data', 10],
      ],
    );
  });

  it('times pipelined commands each from the shared write to its own reply, recipients in order', () => {
    assert.deepEqual(
      timeline(0, [
        [10, send('mail')],
        [10, send('rcpt')],
        [10, send('rcpt')],
        [10, send('data')],
        [12, receive('mail', 250)],
        [13, receive('rcpt', 250)],
        [15, receive('rcpt', 550)],
        [16, receive('data', 354)],
        [19, send('data', '.')],
        [22, receive('data', 250)],
      ]),
      [
        ['mail', 2],
        ['rcpt', 3],
        ['rcpt', 5],
        ['data', 12],
      ],
    );
  });

  it('counts a DATA refused before the message, and a HELO fallback as EHLO', () => {
    assert.deepEqual(
      timeline(0, [
        [1, send('ehlo')],
        [2, receive('ehlo', 502)],
        [3, send('helo')],
        [5, receive('helo', 250)],
        [6, send('data')],
        [9, receive('data', 554)],
      ]),
      [
        ['ehlo', 1],
        ['ehlo', 2],
        ['data', 3],
      ],
    );
  });
});
