import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { describeProxyHeader, encodeProxyHeader, proxyHeaderProblem } from '../../src/core/proxy-protocol.js';

/** The examples of haproxy's doc/proxy-protocol.txt, and a header HAProxy itself sent. */
describe('PROXY protocol headers (proxy-protocol.txt)', () => {
  it('version 1, TCP4: the spec\'s longest TCP4 line is 56 bytes, CRLF included (§2.1)', () => {
    const header = encodeProxyHeader({ version: 1, source: { address: '255.255.255.255', port: 65535 }, destination: { address: '255.255.255.255', port: 65535 } });
    assert.equal(header.toString('latin1'), 'PROXY TCP4 255.255.255.255 255.255.255.255 65535 65535\r\n');
    assert.equal(header.length, 56);
  });

  it('version 1, TCP6: the spec\'s longest TCP6 line is 104 bytes (§2.1)', () => {
    const full = 'ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff';
    const header = encodeProxyHeader({ version: 1, source: { address: full, port: 65535 }, destination: { address: full, port: 65535 } });
    assert.equal(header.toString('latin1'), `PROXY TCP6 ${full} ${full} 65535 65535\r\n`);
    assert.equal(header.length, 104);
  });

  it('version 1 for a client behind a balancer: "PROXY TCP4 192.0.2.7 198.51.100.25 56324 25"', () => {
    assert.equal(encodeProxyHeader({ version: 1, source: { address: '192.0.2.7', port: 56324 }, destination: { address: '198.51.100.25', port: 25 } }).toString('latin1'), 'PROXY TCP4 192.0.2.7 198.51.100.25 56324 25\r\n');
  });

  it('version 2, TCP4: byte for byte what HAProxy sends for 172.19.0.1:42578 -> 172.19.0.3:80', () => {
    const header = encodeProxyHeader({ version: 2, source: { address: '172.19.0.1', port: 42578 }, destination: { address: '172.19.0.3', port: 80 } });
    assert.equal(header.toString('hex'), '0d0a0d0a000d0a515549540a' + '21' + '11' + '000c' + 'ac130001' + 'ac130003' + 'a652' + '0050');
  });

  it('version 2, TCP6: family 0x21, 36 bytes of addresses and ports, :: expanded', () => {
    const header = encodeProxyHeader({ version: 2, source: { address: '2001:db8::7', port: 1 }, destination: { address: '::1', port: 25 } });
    assert.equal(header.length, 16 + 36);
    assert.equal(header.subarray(12, 16).toString('hex'), '21210024');
    assert.equal(header.subarray(16, 32).toString('hex'), '20010db8000000000000000000000007');
    assert.equal(header.subarray(32, 48).toString('hex'), '00000000000000000000000000000001');
    assert.equal(header.subarray(48).toString('hex'), '00010019');
  });

  it('version 2, TCP6 with an IPv4 tail: ::ffff:192.0.2.7', () => {
    const header = encodeProxyHeader({ version: 2, source: { address: '::ffff:192.0.2.7', port: 1 }, destination: { address: '::1', port: 25 } });
    assert.equal(header.subarray(16, 32).toString('hex'), '00000000000000000000ffffc0000207');
  });

  it('a source and destination of different families, or a host name, cannot be written', () => {
    assert.match(proxyHeaderProblem({ version: 1, source: { address: '192.0.2.7', port: 1 }, destination: { address: '::1', port: 25 } }) ?? '', /IPv4 and the destination IPv6/);
    assert.match(proxyHeaderProblem({ version: 2, source: { address: 'mail.example.org', port: 1 }, destination: { address: '::1', port: 25 } }) ?? '', /not an IP address/);
    assert.throws(() => encodeProxyHeader({ version: 2, source: { address: '192.0.2.7', port: 70000 }, destination: { address: '192.0.2.8', port: 25 } }), TypeError);
  });

  it('the transcript shows version 1 as sent and version 2 as a description', () => {
    const spec = { source: { address: '192.0.2.7', port: 4000 }, destination: { address: '127.0.0.1', port: 25 } };
    assert.equal(describeProxyHeader({ version: 1, ...spec }), 'PROXY TCP4 192.0.2.7 127.0.0.1 4000 25');
    assert.equal(describeProxyHeader({ version: 2, ...spec }), 'PROXY v2 (binary, 28 bytes): 192.0.2.7:4000 -> 127.0.0.1:25');
  });
});
