import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { addressGuardFrom } from '../../src/cli/domain.js';
import { ConnectError, UsageError } from '../../src/core/errors.js';
import { AddressGuard, parseAddressRange } from '../../src/domain/address-guard.js';

const LOOPBACK = new AddressGuard([parseAddressRange('127.0.0.0/8')!, parseAddressRange('::1')!]);

describe('AddressGuard (docs/domain.md#address-guard)', () => {
  it('parses CIDR ranges and bare addresses; refuses names, bad prefixes and junk', () => {
    assert.deepEqual(parseAddressRange('127.0.0.0/8'), { address: '127.0.0.0', prefix: 8, family: 'ipv4' });
    assert.deepEqual(parseAddressRange(' ::1 '), { address: '::1', prefix: 128, family: 'ipv6' });
    assert.deepEqual(parseAddressRange('2001:db8::/32'), { address: '2001:db8::', prefix: 32, family: 'ipv6' });
    for (const bad of ['localhost', '127.0.0.0/33', '::1/129', '10.0.0.0/', '10.0.0.0/8/8', '']) assert.equal(parseAddressRange(bad), null, bad);
  });

  it('allows addresses inside the ranges, IPv4-mapped IPv6 judged as its IPv4 address', () => {
    for (const inside of ['127.0.0.1', '127.53.30.11', '::1', '::ffff:127.0.0.1']) assert.equal(LOOPBACK.allows(inside), true, inside);
    for (const outside of ['192.0.2.25', '2001:db8::25', '::ffff:192.0.2.25', '::2', 'mx.example']) assert.equal(LOOPBACK.allows(outside), false, outside);
  });

  it('a destination outside the ranges is address-not-allowed, naming each host and address', () => {
    assert.doesNotThrow(() => LOOPBACK.assertAllowed([{ host: 'mx.lab.test', address: '127.53.30.11' }]));
    assert.throws(
      () => LOOPBACK.assertAllowed([{ host: 'mx.lab.test', address: '127.0.0.1' }, { host: 'mx.public.test', address: '192.0.2.25' }, { host: 'mx.public.test', address: '2001:db8::25' }]),
      (error: unknown) => {
        assert.ok(error instanceof ConnectError);
        assert.equal(error.reason, 'address-not-allowed');
        assert.match(error.message, /mx\.public\.test → 192\.0\.2\.25, 2001:db8::25/);
        assert.doesNotMatch(error.message, /mx\.lab\.test/);
        return true;
      },
    );
  });

  it('--only-addresses wins over SMTPCHECK_ONLY_ADDRESSES; neither means no guard; a bad range is a usage error', () => {
    const env = { SMTPCHECK_ONLY_ADDRESSES: '10.0.0.0/8' };
    assert.equal(addressGuardFrom({}, {}), undefined);
    assert.equal(addressGuardFrom({}, { SMTPCHECK_ONLY_ADDRESSES: '' }), undefined);
    assert.equal(addressGuardFrom({}, env)!.allows('10.1.2.3'), true);
    assert.equal(addressGuardFrom({ onlyAddresses: '127.0.0.0/8' }, env)!.allows('10.1.2.3'), false);
    assert.throws(() => addressGuardFrom({ onlyAddresses: '127.0.0.0/8,mx.example' }, {}), UsageError);
    assert.throws(() => addressGuardFrom({ onlyAddresses: '' }, {}), UsageError);
    assert.throws(() => addressGuardFrom({}, { SMTPCHECK_ONLY_ADDRESSES: '300.0.0.0/8' }), UsageError);
  });
});
