import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { ReplyDefects } from '../../src/core/reply-defects.js';
import { MAX_LISTED_DEFECTS, MAX_SHOWN_BYTES, ReplyDefectCollector } from '../../src/core/reply-defects.js';
import { ReplyReader } from '../../src/core/reply-reader.js';

/** The defects of one reply made of these lines (each a byte string in latin1, or bytes). */
function defectsOf(...lines: (string | number[])[]): ReplyDefects | null {
  const collector = new ReplyDefectCollector();
  for (const line of lines) collector.scanLine(typeof line === 'string' ? Buffer.from(line, 'latin1') : Buffer.from(line));
  return collector.take();
}

/** The one defect of a one-line reply "250 " + bytes; offsets count the four bytes of "250 ". */
function onlyDefect(bytes: number[]) {
  const defects = defectsOf([...Buffer.from('250 '), ...bytes]);
  assert.ok(defects, 'expected a defect');
  assert.equal(defects.found.length, 1, JSON.stringify(defects));
  return defects.found[0]!;
}

describe('reply line defects, decided on bytes', () => {
  it('clean ASCII, a tab, and an empty line have none', () => {
    assert.equal(defectsOf('250-mail.example.org', '250-SIZE\t10240000', '250'), null);
  });

  it('valid multi-byte UTF-8 has none: 2, 3 and 4 bytes, the highest code point, U+FFFD itself', () => {
    assert.equal(defectsOf(Buffer.from('250 Grüße 日本 😀 \u{10ffff} \ufffd', 'utf8').toString('latin1')), null);
  });

  it('a NUL at the start, in the middle and at the end of a line, each with its offset', () => {
    assert.deepEqual(defectsOf('\x00250 a', '250 a\x00b', '250 ab\x00')?.found, [
      { line: 1, offset: 0, problem: 'nul', length: 1, bytes: '00' },
      { line: 2, offset: 5, problem: 'nul', length: 1, bytes: '00' },
      { line: 3, offset: 6, problem: 'nul', length: 1, bytes: '00' },
    ]);
  });

  it('NUL bytes in a row are one defect with their count', () => {
    assert.deepEqual(onlyDefect([0x41, 0, 0, 0, 0x42]), { line: 1, offset: 5, problem: 'nul', length: 3, bytes: '000000' });
  });

  it('control bytes (ESC, BEL, a bare CR inside the line, DEL) are defects; a tab is not', () => {
    assert.deepEqual(defectsOf('250 \x1b]0;x\x07 a\rb\t\x7f')?.found.map(({ offset, problem, bytes }) => ({ offset, problem, bytes })), [
      { offset: 4, problem: 'control', bytes: '1b' },
      { offset: 9, problem: 'control', bytes: '07' },
      { offset: 12, problem: 'control', bytes: '0d' },
      { offset: 15, problem: 'control', bytes: '7f' },
    ]);
  });

  it('overlong encodings are invalid: C0 80 (NUL), E0 80 80, F0 80 80 80', () => {
    assert.deepEqual(onlyDefect([0xc0, 0x80]), { line: 1, offset: 4, problem: 'invalid-utf8', length: 2, bytes: 'c080' });
    assert.deepEqual(onlyDefect([0xe0, 0x80, 0x80]).bytes, 'e08080');
    assert.deepEqual(onlyDefect([0xf0, 0x80, 0x80, 0x80]).bytes, 'f0808080');
  });

  it('surrogates encoded in UTF-8 (ED A0 80 = U+D800, ED BF BF = U+DFFF) are invalid', () => {
    assert.equal(onlyDefect([0xed, 0xa0, 0x80]).length, 3);
    assert.equal(onlyDefect([0xed, 0xbf, 0xbf]).length, 3);
    assert.equal(defectsOf([0xed, 0x9f, 0xbf]), null, 'U+D7FF, just below the surrogates, is valid');
  });

  it('code points above U+10FFFF and the bytes F5-FF are invalid', () => {
    assert.equal(onlyDefect([0xf4, 0x90, 0x80, 0x80]).length, 4);
    assert.equal(onlyDefect([0xf5, 0x80, 0x80, 0x80]).length, 4);
    assert.equal(onlyDefect([0xff]).bytes, 'ff');
  });

  it('a sequence cut short at the end of the line is invalid, from its lead byte', () => {
    assert.deepEqual(onlyDefect([0x61, 0xe6, 0x97]), { line: 1, offset: 5, problem: 'invalid-utf8', length: 2, bytes: 'e697' });
    assert.deepEqual(onlyDefect([0xf0, 0x9f, 0x98]).bytes, 'f09f98');
  });

  it('a sequence cut short by an ASCII byte leaves that byte out: C3 then "(" is invalid (0xC3) alone', () => {
    assert.deepEqual(onlyDefect([0xc3, 0x28, 0x61]), { line: 1, offset: 4, problem: 'invalid-utf8', length: 1, bytes: 'c3' });
  });

  it('lone continuation bytes are invalid, and a run of them is one defect', () => {
    assert.deepEqual(onlyDefect([0x61, 0x80, 0xbf, 0x62]), { line: 1, offset: 5, problem: 'invalid-utf8', length: 2, bytes: '80bf' });
  });

  it('different problems side by side are separate defects, in order', () => {
    assert.deepEqual(defectsOf([...Buffer.from('250 '), 0x00, 0xff, 0x1b, 0xc3, 0xa9])?.found.map((defect) => defect.problem), ['nul', 'invalid-utf8', 'control']);
  });

  it(`lists at most ${MAX_LISTED_DEFECTS} defects a reply and counts the rest; a long run keeps ${MAX_SHOWN_BYTES} of its bytes`, () => {
    const many = defectsOf(`250-${'\x00a'.repeat(5)}`, `250 ${'\x00a'.repeat(7)}${'\xff'.repeat(40)}`)!;
    assert.equal(many.found.length, MAX_LISTED_DEFECTS);
    assert.deepEqual(many.found.map((defect) => defect.line), [1, 1, 1, 1, 1, 2, 2, 2]);
    assert.equal(many.omitted, 5);
    const run = onlyDefect(new Array(40).fill(0xff));
    assert.equal(run.length, 40);
    assert.equal(run.bytes, 'ff'.repeat(MAX_SHOWN_BYTES));
  });

  it('starts over for each reply', () => {
    const collector = new ReplyDefectCollector();
    collector.scanLine(Buffer.from('220 \x00'));
    assert.equal(collector.take()?.found.length, 1);
    collector.scanLine(Buffer.from('250 ok'));
    assert.equal(collector.take(), null);
    collector.scanLine(Buffer.from('250 \x00'));
    assert.equal(collector.take()?.found[0]!.line, 1);
  });
});

describe('ReplyReader marks defective replies', () => {
  const read = (bytes: Buffer) => {
    const reader = new ReplyReader();
    reader.push(bytes);
    return [reader.shift(), reader.shift()];
  };

  it('a clean reply has no defects field at all', () => {
    const [reply] = read(Buffer.from('250-a\r\n250 b\r\n'));
    assert.ok(reply && !('defects' in reply));
  });

  it('each reply carries its own defects, with line numbers within it; the CRLF is not a defect', () => {
    const [ehlo, rcpt] = read(Buffer.concat([Buffer.from('250-a\r\n250-b\x00\r\n250 c\n'), Buffer.from([...Buffer.from('550 x'), 0xc3, 0x0d, 0x0a])]));
    assert.deepEqual(ehlo!.defects, { found: [{ line: 2, offset: 5, problem: 'nul', length: 1, bytes: '00' }], omitted: 0 });
    assert.deepEqual(rcpt!.defects, { found: [{ line: 1, offset: 5, problem: 'invalid-utf8', length: 1, bytes: 'c3' }], omitted: 0 });
  });

  it('a bare CR inside a line is a control defect', () => {
    const [reply] = read(Buffer.from('250 a\rb\r\n'));
    assert.deepEqual(reply!.defects?.found.map((defect) => [defect.offset, defect.bytes]), [[5, '0d']]);
  });
});
