import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { domainNameFrom, parseResolver, resolversFromResolvConf } from '../../src/cli/domain.js';
import { UsageError } from '../../src/core/errors.js';

describe('smtpcheck domain: input', () => {
  it('--resolver takes IPv4, IPv4:PORT, bare IPv6 and [IPv6]:PORT', () => {
    assert.deepEqual(parseResolver('192.0.2.53'), { host: '192.0.2.53', port: 53 });
    assert.deepEqual(parseResolver('127.0.0.1:5353'), { host: '127.0.0.1', port: 5353 });
    assert.deepEqual(parseResolver('::1'), { host: '::1', port: 53 });
    assert.deepEqual(parseResolver('[2001:db8::53]:8053'), { host: '2001:db8::53', port: 8053 });
  });
  it('--resolver refuses names and bad ports', () => {
    assert.throws(() => parseResolver('dns.example'), UsageError);
    assert.throws(() => parseResolver('127.0.0.1:99999'), UsageError);
  });
  it('resolv.conf: the nameserver lines in order, scope ids dropped, other lines ignored', () => {
    assert.deepEqual(resolversFromResolvConf('# comment\nsearch example.org\nnameserver 192.0.2.1\nnameserver fe80::1%eth0\noptions edns0\n'), [
      { host: '192.0.2.1', port: 53 },
      { host: 'fe80::1', port: 53 },
    ]);
  });
  it('the domain is lower-cased without its trailing dot; IP addresses, single labels and spaces are refused', () => {
    assert.equal(domainNameFrom('Example.ORG.'), 'example.org');
    for (const bad of ['192.0.2.1', 'localhost', 'a b.example', 'user@example.org', '']) assert.throws(() => domainNameFrom(bad), UsageError, bad);
  });
});
