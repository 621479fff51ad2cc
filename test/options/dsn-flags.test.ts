import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { encodeXtext } from '../../src/core/dsn.js';
import { dsnEnvidValue, dsnNotifyValue, dsnRequest, dsnRetValue } from '../../src/options/dsn-flags.js';
import { UsageError } from '../../src/core/errors.js';

describe('DSN parameters (RFC 3461)', () => {
  it('encodes xtext: "!" to "~" as themselves except "+" and "=", everything else as +HH', () => {
    assert.equal(encodeXtext('order-4711@example.org'), 'order-4711@example.org');
    assert.equal(encodeXtext('a b+c=d'), 'a+20b+2Bc+3Dd');
    assert.equal(encodeXtext('\r\n'), '+0D+0A');
  });

  it('sends an envelope id with spaces as one parameter, and refuses control characters and over-long ids', () => {
    assert.equal(dsnEnvidValue('batch 7 = done'), 'batch+207+20+3D+20done');
    assert.throws(() => dsnEnvidValue('x\r\nRSET'), (error: unknown) => error instanceof UsageError && /printable US-ASCII/.test(error.message));
    assert.throws(() => dsnEnvidValue('é'), UsageError);
    assert.throws(() => dsnEnvidValue('x'.repeat(101)), /1 to 100 characters/);
    assert.throws(() => dsnEnvidValue(''), /1 to 100 characters/);
  });

  it('takes NOTIFY as NEVER alone or a list of SUCCESS, FAILURE, DELAY, in any case', () => {
    assert.equal(dsnNotifyValue('success, failure'), 'SUCCESS,FAILURE');
    assert.equal(dsnNotifyValue('never'), 'NEVER');
    for (const bad of ['NEVER,SUCCESS', 'SUCCESS,SUCCESS', 'ALWAYS', '', 'SUCCESS\r\nRSET']) assert.throws(() => dsnNotifyValue(bad), UsageError, bad);
  });

  it('takes RET as FULL or HDRS only', () => {
    assert.equal(dsnRetValue('hdrs'), 'HDRS');
    assert.throws(() => dsnRetValue('BODY'), /neither FULL nor HDRS/);
  });

  it('leaves out what was not asked for', () => {
    assert.deepEqual(dsnRequest({}), { notify: null, ret: null, envid: null });
  });
});
