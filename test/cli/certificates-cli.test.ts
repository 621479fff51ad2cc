import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { ExitCode } from '../../src/outcome/exit-codes.js';
import { runCli } from '../e2e/postfix-lab.js';
import { serverPool } from '../fakes/hostile-peer.js';
import { smtpResponder, startResponder } from '../fakes/smtp-responder.js';
import type { TestCredentials } from '../fakes/test-certificates.js';
import { testCertificates } from '../fakes/test-certificates.js';

/**
 * Issue 6, certificates: verification is on by default; each broken certificate
 * stops the run with exit 3 and the precise OpenSSL reason; --insecure continues and
 * still reports it in the transcript.
 */
const track = serverPool();
const certs = testCertificates();
after(() => certs.cleanup());

const serverWith = (credentials: TestCredentials, implicitTls = false) => track(startResponder(smtpResponder(), { tls: credentials, implicitTls }));

const caps = (port: number, ...extra: string[]) => runCli(['caps', '--server', `127.0.0.1:${port}`, '--timeout', '2', ...extra], { timeoutMs: 10_000 });

const CASES: { name: string; credentials: TestCredentials; reason: RegExp }[] = [
  { name: 'self-signed', credentials: certs.selfSigned, reason: /certificate chain not trusted \(DEPTH_ZERO_SELF_SIGNED_CERT\)/ },
  { name: 'expired', credentials: certs.expired, reason: /certificate chain not trusted \(CERT_HAS_EXPIRED\)/ },
  { name: 'not yet valid', credentials: certs.notYetValid, reason: /certificate chain not trusted \(CERT_NOT_YET_VALID\)/ },
  { name: 'for another host', credentials: certs.wrongHost, reason: /certificate is not valid for 127\.0\.0\.1 \(Hostname\/IP does not match certificate's altnames: IP: 127\.0\.0\.1 is not in the cert's list/ },
  { name: 'with an incomplete chain (intermediate not sent)', credentials: certs.incompleteChain, reason: /certificate chain not trusted \(UNABLE_TO_VERIFY_LEAF_SIGNATURE\)/ },
];

describe('broken certificates stop the run (exit 3, the OpenSSL reason in the message)', { concurrency: true }, () => {
  for (const { name, credentials, reason } of CASES) {
    it(`a certificate ${name}`, async () => {
      const server = await serverWith(credentials);
      const result = await caps(server.port, '--tls', '--tls-ca', certs.caFile);
      assert.equal(result.code, ExitCode.tls, result.stderr);
      assert.match(result.stderr, reason);
      assert.equal(result.stderr.trim().split('\n').length, 1);
    });
  }

  it('verification is on by default: a certificate from a CA the client was not given is not trusted', async () => {
    const server = await serverWith(certs.good);
    const result = await caps(server.port, '--tls');
    assert.equal(result.code, ExitCode.tls);
    assert.match(result.stderr, /certificate chain not trusted \((UNABLE_TO_VERIFY_LEAF_SIGNATURE|UNABLE_TO_GET_ISSUER_CERT_LOCALLY)\) — give the issuing CA with --tls-ca FILE/);
  });

  it('implicit TLS (--tls-on-connect) checks the certificate just the same', async () => {
    const server = await serverWith(certs.expired, true);
    const result = await caps(server.port, '--tls-on-connect', '--tls-ca', certs.caFile);
    assert.equal(result.code, ExitCode.tls);
    assert.match(result.stderr, /CERT_HAS_EXPIRED/);
  });

  it('controls: a valid certificate, and the incomplete one with its intermediate sent, pass', async () => {
    for (const credentials of [certs.good, certs.completeChain]) {
      const server = await serverWith(credentials);
      const result = await caps(server.port, '--tls', '--tls-ca', certs.caFile);
      assert.equal(result.code, ExitCode.ok, result.stderr);
      assert.match(result.stdout, /=== verification: chain trusted, name 127\.0\.0\.1 matches/);
    }
  });
});

describe('--insecure continues, and still says what is wrong', { concurrency: true }, () => {
  for (const { name, credentials, reason } of CASES) {
    it(`a certificate ${name}: exit 0, the verification line and a warning in the transcript`, async () => {
      const server = await serverWith(credentials);
      const result = await caps(server.port, '--tls', '--tls-ca', certs.caFile, '--insecure');
      assert.equal(result.code, ExitCode.ok, result.stderr);
      const nameWrong = credentials === certs.wrongHost;
      assert.match(result.stdout, nameWrong ? /=== verification: chain trusted, name 127\.0\.0\.1 does NOT match/ : /=== verification: chain NOT trusted \([A-Z_]+\), name 127\.0\.0\.1 matches/);
      assert.match(result.stdout, new RegExp(`\\*\\*\\* ${reason.source}.*; continuing because of --insecure`));
    });
  }

  it('the transcript says how long ago an expired certificate expired', async () => {
    const server = await serverWith(certs.expired);
    const result = await caps(server.port, '--tls', '--tls-ca', certs.caFile, '--insecure');
    assert.match(result.stdout, /valid: {2}2020-01-01 to 2021-01-01, expired \d+ days ago/);
  });
});

describe('a weak (1024-bit RSA) key', () => {
  it('is accepted by the handshake but shown with its size and a warning in the transcript', async () => {
    const server = await serverWith(certs.weakKey);
    const result = await caps(server.port, '--tls', '--tls-ca', certs.caFile);
    assert.equal(result.code, ExitCode.ok, result.stderr);
    assert.match(result.stdout, /key RSA 1024 bits/);
    assert.match(result.stdout, /\*\*\* the server certificate has a weak 1024-bit RSA key \(at least 2048 bits expected\)/);
  });

  it('a 2048-bit or EC key draws no such warning', async () => {
    const server = await serverWith(certs.good);
    const result = await caps(server.port, '--tls', '--tls-ca', certs.caFile);
    assert.doesNotMatch(result.stdout, /weak .*key/);
  });
});
