import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { DnsResolver } from '../../src/core/dns/resolver.js';
import { DnsError } from '../../src/core/errors.js';
import { dnsLab } from './dns-lab.js';

/** The resolver against the real lab: Unbound's AD bit and SERVFAIL reach smtpcheck as typed facts. */
describe('DnsResolver against the lab Unbound', () => {
  const resolver = (): DnsResolver => new DnsResolver({ resolvers: [{ host: dnsLab().resolver, port: 53 }] });

  it('a signed zone answers with AD set', async () => {
    const answer = await resolver().lookup('good.test', 'MX');
    assert.equal(answer.authenticated, true);
    // Unbound rotates the order of an RRset (rrset-roundrobin): compare as a set.
    assert.deepEqual(answer.records.map((record) => record.exchange).sort(), ['mx1.good.test', 'mx2.good.test']);
  });

  it('an unsigned zone answers without AD', async () => {
    const answer = await resolver().lookup('_25._tcp.mx.tlsa-unsigned.test', 'TLSA');
    assert.equal(answer.status, 'records');
    assert.equal(answer.authenticated, false);
  });

  it('a broken signature is SERVFAIL (bogus), typed dns-servfail', async () => {
    await assert.rejects(resolver().lookup('_25._tcp.mx.tlsa-bogus.test', 'TLSA'), (error: unknown) => error instanceof DnsError && error.reason === 'dns-servfail');
  });

  it('a name outside the lab is refused: the lab resolver never goes to the Internet', async () => {
    await assert.rejects(resolver().lookup('example.com', 'A'), (error: unknown) => error instanceof DnsError && error.reason === 'dns-refused');
  });

  it('an answer too big for UDP comes back truncated and is asked again over TCP, whole and validated', async () => {
    const answer = await resolver().lookup('_25._tcp.mx.tlsa-big.test', 'TLSA');
    assert.equal(answer.transport, 'tcp');
    assert.equal(answer.records.length, 30);
    assert.equal(answer.authenticated, true);
  });

  it('a small answer stays on UDP', async () => {
    assert.equal((await resolver().lookup('good.test', 'MX')).transport, 'udp');
  });

  it('a CNAME is followed with AD over the whole chain', async () => {
    const answer = await resolver().lookup('alias.mx-cname.test', 'A');
    assert.deepEqual(answer.cnames, ['real.mx-cname.test']);
    assert.deepEqual(answer.records, [`${dnsLab().net}.33`]);
    assert.equal(answer.authenticated, true);
  });
});
