import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { parseEhloReply } from '../../src/core/capabilities.js';
import type { Reply } from '../../src/core/reply.js';
import { RUNS } from './settings.js';

const ehlo = (lines: string[]): Reply => ({ code: 250, enhanced: null, lines, raw: lines.map((line) => `250 ${line}`) });

const KNOWN = ['PIPELINING', 'SIZE', 'STARTTLS', 'AUTH', 'AUTH=', '8BITMIME', 'SMTPUTF8', 'DSN', 'CHUNKING', 'ENHANCEDSTATUSCODES', 'DELIVERBY', 'XCLIENT'];
const keywordLine = fc
  .tuple(
    fc.oneof(fc.mixedCase(fc.constantFrom(...KNOWN)), fc.string({ maxLength: 12 })),
    fc.array(fc.oneof(fc.string({ maxLength: 10 }), fc.constantFrom('PLAIN', 'login', '-1', '9'.repeat(400), '0x10', ' ')), { maxLength: 4 }),
  )
  .map(([keyword, params]) => [keyword, ...params].join(' '));

describe('parseEhloReply under fuzzing', () => {
  it('never throws on any EHLO text, and models keywords and mechanisms in upper case', () => {
    fc.assert(
      fc.property(fc.array(fc.oneof(keywordLine, fc.string({ unit: 'grapheme', maxLength: 60 })), { maxLength: 20 }), (lines) => {
        const caps = parseEhloReply(ehlo(lines));
        for (const keyword of caps.extensions.keys()) assert.equal(keyword, keyword.toUpperCase());
        for (const mechanism of caps.authMechanisms) assert.equal(mechanism, mechanism.toUpperCase());
        assert.ok(caps.size === null || caps.size >= 0, `SIZE parsed as ${caps.size}`);
        assert.ok(caps.deliverBy === null || caps.deliverBy >= 0);
        assert.equal(caps.startTls, caps.extensions.has('STARTTLS'));
        assert.equal(caps.pipelining, caps.extensions.has('PIPELINING'));
        assert.equal(caps.helo, false);
      }),
      { numRuns: RUNS },
    );
  });

  it('a keyword is found whatever its case and surrounding blanks', () => {
    fc.assert(
      fc.property(fc.constantFrom(...KNOWN.filter((keyword) => keyword !== 'AUTH=')).chain((keyword) => fc.tuple(fc.constant(keyword), fc.mixedCase(fc.constant(keyword)))), fc.constantFrom('', ' ', '  ', '\t'), ([keyword, mixed], blank) => {
        const caps = parseEhloReply(ehlo(['mail.example.org', `${blank}${mixed}${blank}`]));
        assert.ok(caps.extensions.has(keyword), `${mixed} not found as ${keyword}`);
      }),
      { numRuns: 100 },
    );
  });
});
