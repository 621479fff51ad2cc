import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { DotStuffer, dotUnstuff } from '../../src/core/dot-stuffing.js';

function stuff(...chunks: string[]): string {
  const stuffer = new DotStuffer();
  const parts = chunks.map((chunk) => stuffer.transform(Buffer.from(chunk, 'latin1')));
  parts.push(stuffer.finish());
  return Buffer.concat(parts).toString('latin1');
}

describe('DotStuffer', () => {
  it('doubles a dot at the start of a line and ends with CRLF.CRLF', () => {
    assert.equal(stuff('Subject: x\r\n\r\n.hidden\r\nok\r\n'), 'Subject: x\r\n\r\n..hidden\r\nok\r\n.\r\n');
  });

  it('doubles a dot at the very start of the message', () => {
    assert.equal(stuff('.\r\n'), '..\r\n.\r\n');
  });

  it('turns bare LF and bare CR into CRLF so no lone line end can end the data (SMTP smuggling)', () => {
    assert.equal(stuff('a\n.\nb\r.\rc'), 'a\r\n..\r\nb\r\n..\r\nc\r\n.\r\n');
  });

  it('handles CRLF and dots split across chunks', () => {
    assert.equal(stuff('line\r', '\n.dot\r', '\n'), 'line\r\n..dot\r\n.\r\n');
    assert.equal(stuff('line\r', '.x'), 'line\r\n..x\r\n.\r\n');
  });

  it('adds the missing CRLF before the end marker', () => {
    assert.equal(stuff('no newline at end'), 'no newline at end\r\n.\r\n');
  });

  it('round-trips through dotUnstuff', () => {
    const original = 'a\r\n.b\r\n..c\r\n.\r\nd\r\n';
    const stuffed = stuff(original);
    assert.equal(dotUnstuff(Buffer.from(stuffed.slice(0, -3), 'latin1')).toString('latin1'), original);
  });
});

describe('DotStuffer for BDAT (no dot-stuffing)', () => {
  it('makes line ends CRLF, leaves dots alone, and adds only a missing final CRLF', () => {
    const normaliser = new DotStuffer(false);
    const out = Buffer.concat([normaliser.transform(Buffer.from('a\n.b\r')), normaliser.transform(Buffer.from('\nc')), normaliser.finish()]).toString();
    assert.equal(out, 'a\r\n.b\r\nc\r\n');
    const complete = new DotStuffer(false);
    assert.equal(Buffer.concat([complete.transform(Buffer.from('x\r\n')), complete.finish()]).toString(), 'x\r\n');
  });
});
