import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { MAX_STS_MAX_AGE, mxMatchesPattern, parseStsPolicy, parseStsRecords } from '../../src/domain/mta-sts.js';
import { parseTlsRptRecords } from '../../src/domain/tls-rpt.js';

describe('parseStsRecords (RFC 8461 §3.1)', () => {
  it('one "v=STSv1; id=…" record is valid', () => {
    assert.deepEqual(parseStsRecords(['v=STSv1; id=20240101T000000']), { kind: 'valid', record: 'v=STSv1; id=20240101T000000', id: '20240101T000000' });
  });
  it('records not starting with "v=STSv1;" are discarded: none left is absent', () => {
    assert.equal(parseStsRecords(['v=spf1 -all', 'v=STSv2; id=1', 'V=STSv1; id=1']).kind, 'absent');
  });
  it('two STSv1 records are "several": no usable policy', () => {
    assert.equal(parseStsRecords(['v=STSv1; id=1', 'v=STSv1; id=2']).kind, 'several');
  });
  it('no id, or an id over 32 characters, is malformed', () => {
    assert.equal(parseStsRecords(['v=STSv1; policy=none']).kind, 'malformed');
    assert.equal(parseStsRecords([`v=STSv1; id=${'a'.repeat(33)}`]).kind, 'malformed');
    assert.equal(parseStsRecords(['v=STSv1; id=a-b']).kind, 'malformed');
  });
});

describe('parseStsPolicy (RFC 8461 §3.2)', () => {
  it('reads version, mode, every mx line and max_age, CRLF or LF', () => {
    assert.deepEqual(parseStsPolicy('version: STSv1\r\nmode: enforce\r\nmx: mx1.example.org\r\nmx: *.example.net\r\nmax_age: 86400\r\n'), { policy: { mode: 'enforce', mx: ['mx1.example.org', '*.example.net'], maxAge: 86400 } });
  });
  for (const [name, text] of [
    ['a wrong version', 'version: STSv2\nmode: enforce\nmx: a.example\nmax_age: 1\n'],
    ['an unknown mode', 'version: STSv1\nmode: strict\nmx: a.example\nmax_age: 1\n'],
    ['max_age over a year', `version: STSv1\nmode: enforce\nmx: a.example\nmax_age: ${MAX_STS_MAX_AGE + 1}\n`],
    ['no max_age', 'version: STSv1\nmode: enforce\nmx: a.example\n'],
    ['no mx in enforce mode', 'version: STSv1\nmode: enforce\nmax_age: 1\n'],
    ['a line without a colon', 'version: STSv1\nmode enforce\nmx: a.example\nmax_age: 1\n'],
  ] as const) {
    it(`${name} does not parse`, () => assert.ok('problem' in parseStsPolicy(text)));
  }
  it('mode none needs no mx', () => assert.ok('policy' in parseStsPolicy('version: STSv1\nmode: none\nmax_age: 0\n')));
});

describe('mxMatchesPattern (RFC 8461 §4.1)', () => {
  it('matches exactly, ignoring case and a trailing dot', () => assert.ok(mxMatchesPattern('MX1.Example.org.', 'mx1.example.org')));
  it('a wildcard stands for exactly one left-most label', () => {
    assert.ok(mxMatchesPattern('mail.example.org', '*.example.org'));
    assert.ok(!mxMatchesPattern('example.org', '*.example.org'));
    assert.ok(!mxMatchesPattern('a.b.example.org', '*.example.org'));
  });
  it('another host does not match', () => assert.ok(!mxMatchesPattern('mx2.example.org', 'mx1.example.org')));
});

describe('parseTlsRptRecords (RFC 8460 §3)', () => {
  it('a mailto: and an https: rua are valid', () => {
    assert.deepEqual(parseTlsRptRecords(['v=TLSRPTv1; rua=mailto:tls@example.org,https://reports.example.org/v1']), { kind: 'valid', record: 'v=TLSRPTv1; rua=mailto:tls@example.org,https://reports.example.org/v1', rua: ['mailto:tls@example.org', 'https://reports.example.org/v1'] });
  });
  it('no TLSRPTv1 record is absent', () => assert.equal(parseTlsRptRecords(['v=spf1 -all']).kind, 'absent'));
  it('an ftp: rua, no rua, or two records are malformed', () => {
    assert.equal(parseTlsRptRecords(['v=TLSRPTv1; rua=ftp://example.org']).kind, 'malformed');
    assert.equal(parseTlsRptRecords(['v=TLSRPTv1;']).kind, 'malformed');
    assert.equal(parseTlsRptRecords(['v=TLSRPTv1; rua=mailto:a@example.org', 'v=TLSRPTv1; rua=mailto:b@example.org']).kind, 'malformed');
  });
});
