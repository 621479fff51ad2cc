import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { connectError } from '../../src/core/network-errors.js';

// Node's errors as the socket raises them; no name is resolved here (nothing leaves the machine).
const failure = (code: string): NodeJS.ErrnoException => Object.assign(new Error(`connect ${code}`), { code });

describe('network failures as typed errors (core/network-errors.ts)', () => {
  it('names the server, and the reason a caller decides on', () => {
    assert.deepEqual([connectError('mx.example.org', 25, failure('ECONNREFUSED'))].map((error) => [error.reason, error.message]), [['connect-refused', 'connection to mx.example.org:25 refused']]);
    assert.deepEqual([connectError('mx.example.org', 25, failure('ENOTFOUND'))].map((error) => [error.reason, error.message]), [['name-not-resolved', 'cannot resolve host mx.example.org']]);
    assert.equal(connectError('192.0.2.1', 25, failure('EHOSTUNREACH')).reason, 'unreachable');
    assert.equal(connectError('192.0.2.1', 25, failure('EWHATEVER')).reason, 'connect-failed');
  });

  it('says when the host it could not reach was the SOCKS5 proxy, not the server', () => {
    assert.equal(connectError('proxy.example.org', 1080, failure('ENOTFOUND'), 'socks5').message, 'cannot resolve the SOCKS5 server proxy.example.org');
    assert.equal(connectError('127.0.0.1', 1080, failure('ECONNREFUSED'), 'socks5').message, 'connection to the SOCKS5 server 127.0.0.1:1080 refused');
  });
});
