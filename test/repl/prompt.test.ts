import assert from 'node:assert/strict';
import { Chalk } from 'chalk';
import { describe, it } from 'node:test';
import { promptText } from '../../src/repl/prompt.js';

const plain = new Chalk({ level: 0 });
const base = { server: '127.0.0.1:587', open: true, tls: null, user: null, inTransaction: false, saslInProgress: false };

describe('the state prompt', () => {
  it('says plaintext or the TLS protocol', () => {
    assert.equal(promptText(base, plain), '127.0.0.1:587 (plain)> ');
    assert.equal(promptText({ ...base, tls: 'TLSv1.3' }, plain), '127.0.0.1:587 (TLSv1.3)> ');
  });

  it('names the login and an open transaction', () => {
    assert.equal(promptText({ ...base, tls: 'TLSv1.3', user: 'john@example.org', inTransaction: true }, plain), '127.0.0.1:587 (TLSv1.3, john@example.org, in transaction)> ');
  });

  it('says when the server waits for an AUTH answer', () => {
    assert.equal(promptText({ ...base, tls: 'TLSv1.2', saslInProgress: true }, plain), '127.0.0.1:587 (TLSv1.2, AUTH answer expected)> ');
  });

  it('says closed, and nothing else, once the connection is gone', () => {
    assert.equal(promptText({ ...base, open: false, tls: 'TLSv1.3', user: 'john@example.org' }, plain), '127.0.0.1:587 (closed)> ');
  });

  it('colours the state on a colour terminal', () => {
    assert.match(promptText(base, new Chalk({ level: 1 })), /\x1b\[33mplain\x1b\[39m/);
  });
});
