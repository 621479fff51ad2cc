import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { socks5Authentication, socks5ConnectRequest, socks5Greeting, socks5ReplyLength } from '../../src/core/socks5.js';

/** The octets of RFC 1928 and RFC 1929, field by field. */
describe('SOCKS5 messages (RFC 1928, RFC 1929)', () => {
  it('the greeting offers "no authentication", and username/password only with a user (§3)', () => {
    assert.equal(socks5Greeting({}).toString('hex'), '050100');
    assert.equal(socks5Greeting({ user: 'u' }).toString('hex'), '05020002');
  });

  it('username/password: version 1, then length-prefixed user and password (RFC 1929 §2)', () => {
    assert.equal(socks5Authentication('john', 'pw').toString('hex'), '01046a6f686e027077');
    assert.throws(() => socks5Authentication('', 'pw'), RangeError);
    assert.throws(() => socks5Authentication('u', 'x'.repeat(256)), RangeError);
  });

  it('CONNECT to an IPv4 address: ATYP 1, four octets, the port in network order (§4, §5)', () => {
    assert.equal(socks5ConnectRequest('192.0.2.7', 25).toString('hex'), '050100' + '01' + 'c0000207' + '0019');
  });

  it('CONNECT to an IPv6 address: ATYP 4, sixteen octets', () => {
    assert.equal(socks5ConnectRequest('2001:db8::25', 587).toString('hex'), '050100' + '04' + '20010db8000000000000000000000025' + '024b');
  });

  it('CONNECT to a name: ATYP 3, its length, the name, resolved by the proxy', () => {
    assert.equal(socks5ConnectRequest('mx.example.org', 25).toString('hex'), '050100' + '03' + '0e' + Buffer.from('mx.example.org').toString('hex') + '0019');
  });

  it('the length of a reply follows from its address type (§6)', () => {
    assert.equal(socks5ReplyLength(Buffer.from([5, 0, 0, 1, 127])), 10);
    assert.equal(socks5ReplyLength(Buffer.from([5, 0, 0, 4, 0])), 22);
    assert.equal(socks5ReplyLength(Buffer.from([5, 0, 0, 3, 9])), 16);
    assert.equal(socks5ReplyLength(Buffer.from([5, 0, 0])), null);
  });
});
