import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { MAX_LISTED_DEFECTS, ReplyDefectCollector } from '../../src/core/reply-defects.js';
import { ReplyReader } from '../../src/core/reply-reader.js';
import { cuts, splitAt } from './chunking.js';
import { RUNS } from './settings.js';

const strict = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });
const lenient = new TextDecoder('utf-8', { ignoreBOM: true });
// eslint-disable-next-line no-control-regex
const CONTROL = /[\x00-\x08\x0a-\x1f\x7f]/;

function strictlyDecoded(bytes: Uint8Array): string | null {
  try {
    return strict.decode(bytes);
  } catch {
    return null;
  }
}

/** Line bytes that are often almost right: valid text mixed with the sequences UTF-8 decoders get wrong. */
const lineBytes = fc
  .array(
    fc.oneof(
      fc.string({ unit: 'grapheme', maxLength: 8 }).map((text) => [...Buffer.from(text, 'utf8')]),
      fc.constantFrom([0x00], [0x09], [0x0d], [0x1b], [0x7f], [0xc0, 0x80], [0xc3], [0xe0, 0x80, 0x80], [0xe0, 0xa0], [0xed, 0xa0, 0x80], [0xed, 0x9f, 0xbf], [0xf0, 0x9f, 0x98], [0xf4, 0x90, 0x80, 0x80], [0xf5], [0x80], [0xbf], [0xef, 0xbf, 0xbd]),
      fc.uint8Array({ maxLength: 4 }).map((bytes) => [...bytes]),
    ),
    { maxLength: 24 },
  )
  .map((parts) => new Uint8Array(parts.flat().filter((byte) => byte !== 0x0a)));

function scan(bytes: Uint8Array) {
  const collector = new ReplyDefectCollector();
  collector.scanLine(bytes);
  return collector.take();
}

describe('reply line defects under fuzzing', () => {
  it('a line has defects exactly when it is not valid UTF-8 or holds a control character other than tab', () => {
    fc.assert(
      fc.property(lineBytes, (bytes) => {
        const text = strictlyDecoded(bytes);
        assert.equal(scan(bytes) !== null, text === null || CONTROL.test(text));
      }),
      { numRuns: RUNS },
    );
  });

  it('agrees with the WHATWG decoder: cutting out the invalid runs leaves valid UTF-8 with every character the lenient decoder kept', () => {
    fc.assert(
      fc.property(lineBytes, (bytes) => {
        const found = scan(bytes)?.found ?? [];
        assert.ok(found.length <= MAX_LISTED_DEFECTS);
        if (found.length === MAX_LISTED_DEFECTS) return;
        let kept: number[] = [];
        let position = 0;
        for (const defect of found) {
          assert.ok(defect.offset >= position, 'defects come in order and do not overlap');
          assert.equal(defect.bytes, Buffer.from(bytes.subarray(defect.offset, defect.offset + Math.min(defect.length, 16))).toString('hex'));
          kept = kept.concat([...bytes.subarray(position, defect.offset)]);
          if (defect.problem !== 'invalid-utf8') kept = kept.concat([...bytes.subarray(defect.offset, defect.offset + defect.length)]);
          position = defect.offset + defect.length;
        }
        kept = kept.concat([...bytes.subarray(position)]);
        const rest = strictlyDecoded(new Uint8Array(kept));
        assert.notEqual(rest, null, 'what is left after the invalid runs decodes strictly');
        assert.equal(rest!.replace(/\ufffd/g, ''), lenient.decode(bytes).replace(/\ufffd/g, ''));
      }),
      { numRuns: RUNS },
    );
  });

  it('the reader finds the same defects however the stream is cut', () => {
    fc.assert(
      fc.property(fc.array(lineBytes, { minLength: 1, maxLength: 4 }), cuts(), (lines, cutPoints) => {
        const stream = Buffer.concat(lines.map((line, index) => Buffer.concat([Buffer.from(index === lines.length - 1 ? '250 ' : '250-'), Buffer.from(line), Buffer.from('\r\n')])));
        const defects = (pieces: Buffer[]) => {
          const reader = new ReplyReader();
          for (const piece of pieces) reader.push(piece);
          return reader.shift()?.defects;
        };
        assert.deepEqual(defects(splitAt(stream, cutPoints)), defects([stream]));
      }),
      { numRuns: RUNS },
    );
  });
});
