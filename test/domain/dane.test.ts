import assert from 'node:assert/strict';
import { createHash, X509Certificate } from 'node:crypto';
import { after, describe, it } from 'node:test';
import type { TlsaRecord } from '../../src/core/dns/resolver.js';
import type { TlsSessionInfo } from '../../src/core/tls-session.js';
import type { TargetProbe } from '../../src/domain/domain-checks.js';
import { daneOutcome, stsMatchOutcome } from '../../src/domain/domain-checks.js';
import { authenticateChain, tlsaBaseDomains } from '../../src/domain/dane.js';
import { DEMO_CA_CERT_PEM, DEMO_SERVER_CERT_PEM } from '../../src/lab/demo-certificates.js';
import { testCertificates } from '../fakes/test-certificates.js';

const leaf = new X509Certificate(DEMO_SERVER_CERT_PEM);
const ca = new X509Certificate(DEMO_CA_CERT_PEM);
const chain = [leaf.raw, ca.raw];
const spki = (certificate: X509Certificate): Buffer => certificate.publicKey.export({ type: 'spki', format: 'der' });
const sha256 = (data: Buffer): Buffer => createHash('sha256').update(data).digest();
const tlsa = (usage: number, selector: number, matchingType: number, data: Buffer): TlsaRecord => ({ usage, selector, matchingType, data });
const WRONG = Buffer.alloc(32, 7);
after(() => testCertificates().cleanup());

describe('authenticateChain (RFC 7672 §3.1, RFC 6698 §2.1)', () => {
  it('DANE-EE 3 1 1 matches the leaf key, whatever the name (§3.1.1)', () => {
    const verdict = authenticateChain([tlsa(3, 1, 1, sha256(spki(leaf)))], chain, ['not-on-the-certificate.example']);
    assert.equal(verdict.authenticated, true);
  });
  it('DANE-EE 3 0 0 matches the whole leaf certificate; 3 0 2 its SHA-512', () => {
    assert.equal(authenticateChain([tlsa(3, 0, 0, leaf.raw)], chain, []).authenticated, true);
    assert.equal(authenticateChain([tlsa(3, 0, 2, createHash('sha512').update(leaf.raw).digest())], chain, []).authenticated, true);
  });
  it('DANE-TA 2 1 1 matches the issuer and needs the MX name on the leaf (§3.1.2)', () => {
    assert.equal(authenticateChain([tlsa(2, 1, 1, sha256(spki(ca)))], chain, ['mail.example.org']).authenticated, true);
    const wrongName = authenticateChain([tlsa(2, 1, 1, sha256(spki(ca)))], chain, ['mx.other.example']);
    assert.equal(wrongName.authenticated, false);
    if (!wrongName.authenticated) assert.equal(wrongName.reason, 'ta-name-mismatch');
  });
  it('DANE-TA does not take the leaf as its trust anchor', () => {
    assert.equal(authenticateChain([tlsa(2, 1, 1, sha256(spki(leaf)))], chain, ['mail.example.org']).authenticated, false);
  });
  it('a rollover: one stale and one current record authenticate', () => {
    assert.equal(authenticateChain([tlsa(3, 1, 1, WRONG), tlsa(3, 1, 1, sha256(spki(leaf)))], chain, []).authenticated, true);
  });
  it('DANE-TA refuses a leaf outside its validity dates under a matching trust anchor (§3.1.2)', () => {
    const certificates = testCertificates();
    const root = new X509Certificate(certificates.caPem);
    const der = (pem: string) => [new X509Certificate(pem).raw, root.raw];
    const anchor = [tlsa(2, 1, 1, sha256(spki(root)))];
    assert.equal(authenticateChain(anchor, der(certificates.good.cert), ['localhost']).authenticated, true, 'the control: a current leaf under the same anchor');
    for (const leafPem of [certificates.expired.cert, certificates.notYetValid.cert]) {
      const verdict = authenticateChain(anchor, der(leafPem), ['localhost']);
      assert.equal(verdict.authenticated, false);
      if (!verdict.authenticated) assert.equal(verdict.reason, 'ta-out-of-date');
    }
  });
  it('DANE-TA judges the dates at the time it is given: the expired leaf was good in 2020', () => {
    const certificates = testCertificates();
    const root = new X509Certificate(certificates.caPem);
    const verdict = authenticateChain([tlsa(2, 1, 1, sha256(spki(root)))], [new X509Certificate(certificates.expired.cert).raw, root.raw], ['localhost'], new Date('2020-06-01T00:00:00Z'));
    assert.equal(verdict.authenticated, true);
  });
  it('DANE-EE ignores the dates: an expired leaf whose key matches is authenticated (§3.1.1)', () => {
    const expired = new X509Certificate(testCertificates().expired.cert);
    assert.equal(authenticateChain([tlsa(3, 1, 1, sha256(spki(expired)))], [expired.raw], []).authenticated, true);
  });
  it('PKIX usages 0 and 1 are not used for SMTP, even when they would match', () => {
    assert.equal(authenticateChain([tlsa(1, 1, 1, sha256(spki(leaf))), tlsa(0, 1, 1, sha256(spki(ca)))], chain, ['mail.example.org']).authenticated, false);
  });
});

describe('tlsaBaseDomains (RFC 7672 §2.2.2)', () => {
  it('an MX host that is no alias is its own TLSA base domain', () => {
    assert.deepEqual(tlsaBaseDomains('mx.example', [], true), ['mx.example']);
  });
  it('a validated alias: the fully expanded name first, then the MX host name', () => {
    assert.deepEqual(tlsaBaseDomains('mx.example', ['a.example', 'b.hosting.example'], true), ['b.hosting.example', 'mx.example']);
  });
  it('an alias that did not validate leaves the MX host name alone', () => {
    assert.deepEqual(tlsaBaseDomains('mx.example', ['b.hosting.example'], false), ['mx.example']);
  });
});

const UNREACHABLE: TargetProbe = { reachable: false, problem: 'connection refused' };

describe('the per-target verdict rules', () => {
  it('dane-tlsa on an unreachable target with validated TLSA is inconclusive, never a pass', () => {
    assert.equal(daneOutcome({ kind: 'validated', name: '_25._tcp.mx.example', baseDomain: 'mx.example', records: [tlsa(3, 1, 1, sha256(spki(leaf)))] }, UNREACHABLE, ['mx.example']).verdict, 'inconclusive');
  });
  it('dane-tlsa: TLSA without STARTTLS fails; with TLS up, no usable record is a warning (senders fall back to unauthenticated TLS)', () => {
    const records = [tlsa(1, 1, 1, WRONG)];
    assert.equal(daneOutcome({ kind: 'validated', name: 'n', baseDomain: 'mx.example', records }, { reachable: true, startTls: 'not-offered' }, []).verdict, 'fail');
    const up = { reachable: true, startTls: 'up', tls: { chain: [] } as unknown as TlsSessionInfo } as const;
    assert.equal(daneOutcome({ kind: 'validated', name: 'n', baseDomain: 'mx.example', records }, up, []).verdict, 'warn');
  });
  it('dane-tlsa with no answer to judge (a resolver timeout) is error, never a pass or a skip', () => {
    assert.equal(daneOutcome({ kind: 'unanswered', name: '_25._tcp.mx.example', problem: 'timed out' }, UNREACHABLE, ['mx.example']).verdict, 'error');
  });
  it('mta-sts-mx-match: a miss fails in enforce mode and warns in testing mode', () => {
    const probe: TargetProbe = { reachable: true, startTls: 'not-offered' };
    const policy = (mode: 'enforce' | 'testing') => ({ kind: 'policy' as const, url: 'u', policy: { mode, mx: ['mx.example.org'], maxAge: 1 } });
    assert.equal(stsMatchOutcome(policy('enforce'), 'other.example.org', probe).verdict, 'fail');
    assert.equal(stsMatchOutcome(policy('testing'), 'other.example.org', probe).verdict, 'warn');
    assert.equal(stsMatchOutcome(policy('enforce'), 'mx.example.org', UNREACHABLE).verdict, 'inconclusive');
  });
});
