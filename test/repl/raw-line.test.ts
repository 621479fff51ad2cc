import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { decodeChallenge, planRawLine } from '../../src/repl/raw-line.js';

const b64 = (text: string) => Buffer.from(text, 'utf8').toString('base64');

describe('lines typed for the server', () => {
  it('belong to the step of their verb, so errors and timeouts name it', () => {
    assert.equal(planRawLine('ehlo x.example', null).step, 'ehlo');
    assert.equal(planRawLine('MAIL FROM:<a@example.org>', null).step, 'mail');
    assert.equal(planRawLine('RCPT TO:<b@example.org>', null).step, 'rcpt');
    assert.equal(planRawLine('DATA', null).step, 'data');
    assert.equal(planRawLine('VRFY root', null).step, 'command');
    assert.equal(planRawLine('NOOP', null).secret, false);
  });

  it('show AUTH PLAIN with an initial response as <credentials for USER>, and mark it secret', () => {
    const plan = planRawLine(`AUTH PLAIN ${b64('\0john@example.org\0summersun')}`, null);
    assert.equal(plan.display, 'AUTH PLAIN <credentials for john@example.org>');
    assert.equal(plan.secret, true);
    assert.equal(plan.startsSasl?.user, 'john@example.org');
  });

  it('redact an initial response that is not readable PLAIN without guessing a user', () => {
    assert.equal(planRawLine('AUTH XOAUTH2 dXNlcj1hAWF1dGg9QmVhcmVyIHQBAQ==', null).display, 'AUTH XOAUTH2 <initial response>');
    assert.equal(planRawLine('AUTH PLAIN not-base64!', null).display, 'AUTH PLAIN <initial response>');
  });

  it('leave AUTH without a response and the empty response "=" visible', () => {
    assert.equal(planRawLine('AUTH LOGIN', null).display, undefined);
    assert.equal(planRawLine('AUTH PLAIN =', null).secret, false);
  });

  it('after a 334, treat the next line as a secret answer, naming the username for LOGIN', () => {
    const username = planRawLine(b64('lisa@example.org'), { mechanism: 'LOGIN', user: null, challenge: decodeChallenge('VXNlcm5hbWU6') });
    assert.equal(username.display, '<username lisa@example.org>');
    assert.equal(username.saslUser, 'lisa@example.org');
    assert.equal(username.step, 'auth');
    const password = planRawLine(b64('winterrain'), { mechanism: 'LOGIN', user: 'lisa@example.org', challenge: 'Password:' });
    assert.deepEqual([password.display, password.secret], ['<password>', true]);
    const other = planRawLine('abc', { mechanism: 'CRAM-MD5', user: null, challenge: '<1896.697170952@postoffice>' });
    assert.equal(other.display, '<SASL response>');
  });

  it('let "*" cancel an exchange in the open (RFC 4954 §4)', () => {
    const plan = planRawLine('*', { mechanism: 'LOGIN', user: null, challenge: 'Password:' });
    assert.deepEqual([plan.display, plan.secret, plan.step], [undefined, false, 'auth']);
  });
});
