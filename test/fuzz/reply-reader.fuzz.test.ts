import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { ProtocolError } from '../../src/core/errors.js';
import type { Reply } from '../../src/core/reply.js';
import { MAX_REPLY_LINE, MAX_REPLY_LINES, ReplyReader } from '../../src/core/reply-reader.js';
import { cuts, splitAt } from './chunking.js';
import { RUNS } from './settings.js';

type Outcome = { replies: Reply[]; error: string | null };

/** Feed the pieces in order, taking replies as they complete, up to the first error and the replies completed before it. */
function read(pieces: Buffer[]): Outcome {
  const reader = new ReplyReader();
  const replies: Reply[] = [];
  const take = () => {
    for (let reply = reader.shift(); reply; reply = reader.shift()) replies.push(reply);
  };
  try {
    for (const piece of pieces) {
      reader.push(piece);
      take();
    }
    return { replies, error: null };
  } catch (error) {
    if (!(error instanceof ProtocolError)) throw new Error(`threw ${String(error)} instead of a ProtocolError`);
    take();
    return { replies, error: error.message };
  }
}

const replyText = fc.string({ unit: 'grapheme', maxLength: 40 }).filter((text) => !/[\r\n]/.test(text));
const validReply = fc.record({
  code: fc.integer({ min: 200, max: 599 }),
  lines: fc.array(replyText, { minLength: 1, maxLength: 6 }),
  bareLf: fc.boolean(),
});

function serialise(replies: { code: number; lines: string[]; bareLf: boolean }[]): Buffer {
  return Buffer.from(
    replies.map(({ code, lines, bareLf }) => lines.map((line, index) => `${code}${index === lines.length - 1 ? ' ' : '-'}${line}${bareLf ? '\n' : '\r\n'}`).join('')).join(''),
    'utf8',
  );
}

describe('ReplyReader under fuzzing', () => {
  it('any chunking of a valid reply stream gives the same replies, equal to what was sent', () => {
    fc.assert(
      fc.property(fc.array(validReply, { minLength: 1, maxLength: 8 }), cuts(), (replies, cutPoints) => {
        const bytes = serialise(replies);
        const whole = read([bytes]);
        const chunked = read(splitAt(bytes, cutPoints));
        assert.equal(whole.error, null);
        assert.deepEqual(chunked, whole);
        assert.deepEqual(
          whole.replies.map((reply) => ({ code: reply.code, lines: reply.lines })),
          replies.map(({ code, lines }) => ({ code, lines })),
        );
      }),
      { numRuns: RUNS },
    );
  });

  it('arbitrary bytes: only ProtocolError is ever thrown, chunking never changes the outcome, replies stay within the limits', () => {
    const noisyBytes = fc.oneof(
      fc.uint8Array({ maxLength: 2000 }),
      // Mostly plausible lines with garbage mixed in, to get past the first line often.
      fc.array(fc.oneof(fc.constantFrom('250-', '250 ', '220 ', '550-', '\r\n', '\n', '\r', '2', ' '), fc.string({ maxLength: 12 })), { maxLength: 200 }).map((parts) => new Uint8Array(Buffer.from(parts.join(''), 'utf8'))),
    );
    fc.assert(
      fc.property(noisyBytes, cuts(), (bytes, cutPoints) => {
        const whole = read([Buffer.from(bytes)]);
        const chunked = read(splitAt(bytes, cutPoints));
        assert.deepEqual(chunked, whole);
        for (const reply of whole.replies) {
          assert.ok(reply.lines.length <= MAX_REPLY_LINES);
          assert.ok(reply.code >= 200 && reply.code <= 599);
          // A decoded line is at most the bytes it came from, or 4 characters per byte shown as \xNN.
          for (const raw of reply.raw) assert.ok(raw.length <= 4 * MAX_REPLY_LINE);
        }
      }),
      { numRuns: RUNS },
    );
  });

  it('never buffers more than MAX_REPLY_LINE bytes of one line, however the line is fed', () => {
    fc.assert(
      fc.property(fc.integer({ min: MAX_REPLY_LINE + 1, max: 4 * MAX_REPLY_LINE }), cuts(), (length, cutPoints) => {
        const outcome = read(splitAt(new Uint8Array(length).fill(0x41), cutPoints));
        assert.match(outcome.error ?? '', new RegExp(`longer than ${MAX_REPLY_LINE} bytes`));
      }),
      { numRuns: 50 },
    );
  });

  it('control characters and invalid UTF-8 in a reply line survive as visible text, never as U+FFFD', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 60 }).map((bytes) => bytes.filter((byte) => byte !== 0x0a && byte !== 0x0d)), (text) => {
        const outcome = read([Buffer.concat([Buffer.from('250 '), Buffer.from(text), Buffer.from('\r\n')])]);
        assert.equal(outcome.error, null);
        const line = outcome.replies[0]!.lines[0]!;
        const decodedStrictly = (() => {
          try {
            return new TextDecoder('utf-8', { fatal: true, ignoreBOM: true }).decode(text);
          } catch {
            return null;
          }
        })();
        if (decodedStrictly !== null) assert.equal(line, decodedStrictly);
        else assert.doesNotMatch(line, /[\x80-\uffff]/);
      }),
      { numRuns: RUNS },
    );
  });
});
