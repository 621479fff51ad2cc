import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { CheckFlags } from '../../src/cli/check-flags.js';
import type { SuiteTarget } from '../../src/cli/suite-config.js';
import { pickConnectionFlags, suiteConnection } from '../../src/cli/suite.js';
import { connectionSpecWith } from '../../src/options/connection-options.js';

const target = (extra: Partial<SuiteTarget>): SuiteTarget => ({ name: 't', server: 'mail.example.org', expect: {}, ...extra });

describe("a suite target's connection: one typed value from its file entries and the command line", () => {
  it('takes server, TLS mode, CA, TLS name, EHLO name and timeout from the file, as values', () => {
    const spec = suiteConnection(target({ tls: 'implicit', tlsCa: '/ca.pem', tlsServername: 'mx.example.org', helo: 'ci.example.org', timeout: 7 }), {} as CheckFlags);
    assert.deepEqual(
      { host: spec.host, port: spec.port, tlsMode: spec.tlsMode, ca: spec.tls.caFile, servername: spec.tls.servername, helo: spec.heloName, timeouts: spec.timeouts },
      { host: 'mail.example.org', port: 465, tlsMode: 'implicit', ca: '/ca.pem', servername: 'mx.example.org', helo: 'ci.example.org', timeouts: { connectMs: 7000, greetingMs: 7000, commandMs: 7000, dataMs: 7000 } },
    );
  });

  it('fills what the file leaves out from the flags, and the file wins where both speak', () => {
    const flags = { tls: true, tlsCa: '/flag-ca.pem', insecure: true, commandTimeout: '3', ipv6: true, socks5: '127.0.0.1:1080' } as CheckFlags;
    const fromFlags = suiteConnection(target({ server: 'mx.example.org:2525' }), flags);
    assert.equal(fromFlags.tlsMode, 'starttls');
    assert.equal(fromFlags.port, 2525);
    assert.equal(fromFlags.tls.caFile, '/flag-ca.pem');
    assert.equal(fromFlags.tls.insecure, true);
    assert.equal(fromFlags.family, 6);
    assert.equal(fromFlags.timeouts.commandMs, 3000);
    assert.equal(fromFlags.socks5?.port, 1080);
    assert.equal(fromFlags.heloName, 'smtpcheck.example', 'the checks default EHLO name');
    const fileWins = suiteConnection(target({ tls: 'none', tlsCa: '/file-ca.pem', timeout: 9 }), flags);
    assert.equal(fileWins.tlsMode, 'none');
    assert.equal(fileWins.tls.caFile, '/file-ca.pem');
    assert.equal(fileWins.timeouts.connectMs, 9000);
    assert.equal(fileWins.timeouts.commandMs, 3000, 'a step timeout given on the command line is more specific than the file\'s timeout');
  });

  it("an MX address of a domain: the address to dial, the MX host as the TLS name, the suite's entries as values", () => {
    const spec = connectionSpecWith({ host: '::1', port: 2525 }, { caFile: '/lab-ca.pem', heloName: 'ci.example.org', timeoutMs: 4000, servername: 'mx1.good.test' }, { tlsServername: 'ignored.example' } as CheckFlags, 'smtpcheck.example');
    assert.deepEqual(
      { host: spec.host, port: spec.port, servername: spec.tls.servername, ca: spec.tls.caFile, helo: spec.heloName, greeting: spec.timeouts.greetingMs },
      { host: '::1', port: 2525, servername: 'mx1.good.test', ca: '/lab-ca.pem', helo: 'ci.example.org', greeting: 4000 },
    );
  });

  it('a domain target gets the same command-line connection flags as a server target, and nothing that names a server or checks', () => {
    const flags = { server: 'mx.example.org', checks: 'relay-open-basic', tls: true, tlsCa: '/ca.pem', socks5: '127.0.0.1:1080', socks5User: 'u', proxyProtocol: 'v1', proxySource: '192.0.2.7:1' } as CheckFlags;
    assert.deepEqual(pickConnectionFlags(flags), { tls: true, tlsCa: '/ca.pem', socks5: '127.0.0.1:1080', socks5User: 'u', proxyProtocol: 'v1', proxySource: '192.0.2.7:1' });
  });
});
