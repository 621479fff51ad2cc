import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { UsageError } from '../../src/core/errors.js';
import { assertMailbox, assertSingleLine } from '../../src/core/wire-text.js';
import { RUNS } from './settings.js';

/** A string with at least one CR, LF or NUL somewhere in it. */
const withLineBreak = fc
  .tuple(fc.string({ unit: 'grapheme', maxLength: 30 }), fc.constantFrom('\r', '\n', '\0', '\r\n'), fc.string({ unit: 'grapheme', maxLength: 30 }))
  .map(([before, breaker, after]) => `${before}${breaker}${after}`);

const OPTIONS = [{}, { allowEmpty: true }, { allowLocalOnly: true }, { allowEmpty: true, allowLocalOnly: true }];

describe('assertMailbox and assertSingleLine under fuzzing', () => {
  it('never accept a CR, LF or NUL, whatever else the value holds and whatever the options', () => {
    fc.assert(
      fc.property(fc.oneof(withLineBreak, fc.emailAddress().chain((address) => fc.nat(address.length).chain((at) => fc.constantFrom('\r', '\n', '\0').map((breaker) => address.slice(0, at) + breaker + address.slice(at))))), fc.constantFrom(...OPTIONS), (value, options) => {
        assert.throws(() => assertMailbox(value, '--to', options), UsageError);
        assert.throws(() => assertSingleLine(value, '--helo'), UsageError);
      }),
      { numRuns: RUNS },
    );
  });

  it('accept ordinary addresses unchanged', () => {
    fc.assert(
      fc.property(fc.emailAddress(), (address) => {
        assert.equal(assertMailbox(address, '--to'), address);
      }),
      { numRuns: RUNS },
    );
  });

  it('anything accepted fits on one command line', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary', maxLength: 40 }), fc.constantFrom(...OPTIONS), (value, options) => {
        let accepted = false;
        try {
          assertMailbox(value, '--to', options);
          accepted = true;
        } catch (error) {
          assert.ok(error instanceof UsageError, `threw ${String(error)}`);
        }
        if (accepted) assert.doesNotMatch(value, /[\r\n\0<>]/);
      }),
      { numRuns: RUNS },
    );
  });
});
