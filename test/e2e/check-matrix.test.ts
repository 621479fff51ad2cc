import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { CheckResult, Role, Verdict } from '../../src/checks/check.js';
import { ConnectionSlots } from '../../src/checks/connection-slots.js';
import type { CheckTarget } from '../../src/checks/context.js';
import { CHECKS } from '../../src/checks/registry.js';
import { runChecks } from '../../src/checks/runner.js';
import { DEFAULT_TIMEOUTS } from '../../src/core/connection.js';
import { postfixLab } from './postfix-lab.js';

/**
 * Issue 4's matrix: every check against every service of the real Postfix lab, with
 * the exact verdict each cell must have. A secure service passes everything (bar the
 * MX's tolerated TLS findings); each flawed service fails exactly the checks that
 * detect its flaw. Nothing may pass where a flaw is.
 */
const ROLE_BASELINE: Record<Role, Partial<Record<string, Verdict>>> = {
  // Postfix's TLS defaults on an MX: TLS 1.0 and aNULL are tolerated (RFC 7435), reported, not failed.
  mta: { 'tls-versions': 'warn', 'tls-anon': 'info' },
  submission: {},
  submissions: {},
};

const NO_TLS: Partial<Record<string, Verdict>> = {
  'starttls-offered': 'fail',
  'starttls-handshake': 'skip',
  'starttls-injection': 'skip',
  'tls-versions': 'skip',
  'tls-anon': 'skip',
  'cert-chain-trusted': 'skip',
  'cert-hostname': 'skip',
  'cert-validity': 'skip',
};

const RELAY_FAILS = Object.fromEntries(
  ['relay-open-basic', 'relay-sender-forms', 'relay-percent', 'relay-quoted', 'relay-double-at', 'relay-source-route', 'relay-bang', 'relay-domain-forms'].map((id) => [id, 'fail' as Verdict]),
);

export const EXPECTED_FLAWS: Record<string, Partial<Record<string, Verdict>>> = {
  mta: {},
  submission: {},
  submissions: {},
  // mynetworks also exempts the client from bare-newline normalisation
  // (smtpd_forbid_bare_newline_exclusions = $mynetworks): DATA ends at the bare LF, and
  // only smtpd_forbid_unauth_pipelining refuses the smuggled commands.
  'open-relay': { ...RELAY_FAILS, 'smug-eod': 'warn' },
  'plaintext-auth': { 'auth-hidden-plaintext': 'fail', 'auth-refused-plaintext': 'fail' },
  'submission-no-tls': { 'starttls-required-sub': 'fail', 'auth-hidden-plaintext': 'fail', 'auth-refused-plaintext': 'fail' },
  spoofable: { 'spoof-login-mismatch-user': 'fail', 'spoof-login-mismatch-external': 'fail' },
  vrfy: { 'enum-vrfy': 'fail' },
  smuggling: { 'smug-eod': 'fail' },
  'no-starttls': NO_TLS,
  'submission-weak-tls': { 'tls-versions': 'fail', 'tls-anon': 'fail' },
  'submissions-untrusted': { 'cert-chain-trusted': 'fail' },
  'submissions-wrong-name': { 'cert-hostname': 'fail' },
  // OpenSSL reports an expired leaf as a chain error too.
  'submissions-expired': { 'cert-validity': 'fail', 'cert-chain-trusted': 'fail' },
};

function targetFor(port: number, role: Role): CheckTarget {
  const lab = postfixLab();
  return {
    host: lab.host,
    port,
    role,
    heloName: 'smtpcheck.example',
    tls: { caFile: lab.caFile },
    timeouts: { ...DEFAULT_TIMEOUTS, connectMs: 5000, greetingMs: 10_000, commandMs: 10_000, dataMs: 10_000 },
    localDomain: lab.domain,
    localRecipient: lab.users[0]!.user,
    recipientGiven: true,
    foreignDomain: lab.foreignDomain,
    foreignDomain2: 'example.com',
    credentials: { user: lab.users[0]!.user, password: lab.users[0]!.password },
    alias: lab.alias.address,
    otherSender: lab.users[1]!.user,
    slots: new ConnectionSlots(8),
  };
}

// Rows run side by side: each waits out Dovecot's auth_failure_delay and the 2 s quiet periods.
describe('check matrix against the real Postfix lab', { concurrency: 5 }, () => {
  const lab = postfixLab();

  it('the lab has every service the matrix expects', () => {
    assert.deepEqual(Object.keys(lab.services).sort(), Object.keys(EXPECTED_FLAWS).sort());
  });

  for (const [name, flaws] of Object.entries(EXPECTED_FLAWS)) {
    const service = lab.services[name];
    if (!service) continue;
    it(`${name} (${service.role}, port ${service.port}): ${service.flaw ?? 'secure'}; every check gives its expected verdict`, async () => {
      const target = targetFor(service.port, service.role);
      const checks = CHECKS.filter((check) => check.roles.includes(service.role));
      const results = await runChecks(checks, target);
      const expected = (id: string): Verdict => flaws[id] ?? ROLE_BASELINE[service.role][id] ?? 'pass';
      const wrong = results.filter((result) => result.verdict !== expected(result.id));
      assert.deepEqual(
        wrong.map((result: CheckResult) => `${result.id}: got ${result.verdict} (${result.summary}), expected ${expected(result.id)}`),
        [],
      );
      for (const id of Object.keys(flaws)) assert.ok(checks.some((check) => check.id === id), `${id} applies to ${service.role}`);
      for (const result of results.filter((r) => r.verdict === 'fail')) {
        assert.ok(result.evidence.length > 0, `${result.id} has evidence`);
        assert.ok(result.fix, `${result.id} has a fix hint`);
      }
    });
  }
});
