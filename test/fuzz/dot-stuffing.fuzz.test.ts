import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { DotStuffer, dotUnstuff } from '../../src/core/dot-stuffing.js';
import { cuts, splitAt } from './chunking.js';
import { RUNS } from './settings.js';

/** Bytes rich in what matters here: dots, CR, LF, at line starts and in pairs. */
const messageBytes = fc.oneof(
  fc.uint8Array({ maxLength: 300 }),
  fc.array(fc.constantFrom('.', '..', '\r', '\n', '\r\n', '.\r\n', '\n.\n', 'a', 'Subject: x', ' '), { maxLength: 80 }).map((parts) => new Uint8Array(Buffer.from(parts.join(''), 'latin1'))),
);

function run(bytes: Uint8Array, cutPoints: number[], stuffDots = true): Buffer {
  const stuffer = new DotStuffer(stuffDots);
  return Buffer.concat([...splitAt(bytes, cutPoints).map((piece) => stuffer.transform(piece)), stuffer.finish()]);
}

/** What the receiver must get back: every line end CRLF, and a final line end. */
function canonical(bytes: Uint8Array): string {
  const text = Buffer.from(bytes).toString('latin1').replace(/\r\n|\r|\n/g, '\r\n');
  return text === '' || text.endsWith('\r\n') ? text : `${text}\r\n`;
}

describe('DotStuffer and dotUnstuff under fuzzing', () => {
  it('round trip: unstuffing what was sent gives the CRLF-normalised message, whatever the chunking', () => {
    fc.assert(
      fc.property(messageBytes, cuts(), (bytes, cutPoints) => {
        const sent = run(bytes, cutPoints);
        assert.ok(sent.toString('latin1').endsWith('.\r\n'));
        const body = sent.subarray(0, sent.length - 3);
        assert.equal(dotUnstuff(body).toString('latin1'), canonical(bytes));
      }),
      { numRuns: RUNS },
    );
  });

  it('chunking never changes the output', () => {
    fc.assert(
      fc.property(messageBytes, cuts(), fc.boolean(), (bytes, cutPoints, stuffDots) => {
        assert.deepEqual(run(bytes, cutPoints, stuffDots), run(bytes, [], stuffDots));
      }),
      { numRuns: RUNS },
    );
  });

  it('no bare LF, no bare CR, and no end-of-data before the end (SMTP smuggling)', () => {
    fc.assert(
      fc.property(messageBytes, cuts(), (bytes, cutPoints) => {
        const sent = run(bytes, cutPoints).toString('latin1');
        assert.doesNotMatch(sent, /[^\r]\n|^\n/, 'bare LF');
        assert.doesNotMatch(sent, /\r(?!\n)/, 'bare CR');
        const end = sent.indexOf('\r\n.\r\n');
        assert.ok(end === -1 ? sent === '.\r\n' : end === sent.length - 5, `early end of data at ${end} of ${sent.length}`);
        assert.ok(!sent.startsWith('.\r\n') || sent === '.\r\n', 'a message starting with a lone dot line');
      }),
      { numRuns: RUNS },
    );
  });

  it('for BDAT: CRLF-normalised, dots untouched, nothing added but a final CRLF', () => {
    fc.assert(
      fc.property(messageBytes, cuts(), (bytes, cutPoints) => {
        assert.equal(run(bytes, cutPoints, false).toString('latin1'), canonical(bytes));
      }),
      { numRuns: RUNS },
    );
  });
});
