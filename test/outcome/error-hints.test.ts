import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { authFailureHint, hintFor } from '../../src/outcome/error-hints.js';
import { ExitCode, exitCodeFor } from '../../src/outcome/exit-codes.js';
import { DnsError } from '../../src/core/errors.js';
import type { Reply } from '../../src/core/reply.js';
import { ReplyReader } from '../../src/core/reply-reader.js';

/** A reply exactly as the client's reader frames it off the wire. */
function received(...lines: string[]): Reply {
  const reader = new ReplyReader();
  reader.push(Buffer.from(lines.map((line) => `${line}\r\n`).join('')));
  return reader.shift()!;
}

const WRONG_PASSWORD = /^wrong user name or password/;

describe('authFailureHint: genuine bad credentials keep the wrong-password hint', () => {
  for (const line of [
    '535 5.7.8 Error: authentication failed: authentication failure',
    '535 5.7.8 Error: authentication failed: (reason unavailable)',
    '535 Authentication failed',
  ]) {
    it(`"${line}" says wrong user name or password`, () => {
      assert.match(authFailureHint(received(line)), WRONG_PASSWORD);
    });
  }

  it("Gmail's multi-line 535-5.7.8 \"Username and Password not accepted\" says wrong user name or password", () => {
    assert.match(authFailureHint(received('535-5.7.8 Username and Password not accepted. For more information, go to', '535 5.7.8  https://support.google.com/mail/?p=BadCredentials')), WRONG_PASSWORD);
  });

  it('Postfix\'s "authentication failed: UGFzc3dvcmQ6" says wrong password and decodes the LOGIN prompt', () => {
    const hint = authFailureHint(received('535 5.7.8 Error: authentication failed: UGFzc3dvcmQ6'));
    assert.match(hint, WRONG_PASSWORD);
    assert.match(hint, /base64 for "Password:"/);
  });
});

describe('authFailureHint: replies that mean something else get their own hint', () => {
  const cases: { line: string; hint: RegExp }[] = [
    { line: '535 5.7.8 Error: authentication failed: Invalid authentication mechanism', hint: /does not support this mechanism/ },
    { line: '504 5.5.4 Unrecognized authentication type', hint: /does not support this mechanism/ },
    { line: '535 5.7.8 Error: authentication failed: no mechanism available', hint: /does not support this mechanism/ },
    { line: '534 5.7.9 Authentication mechanism is too weak', hint: /too weak .* --auth-mech/ },
    { line: '534 5.7.9 Application-specific password required.', hint: /app password/ },
    { line: '538 5.7.11 Encryption required for requested authentication mechanism', hint: /only over an encrypted connection/ },
    { line: '535 5.7.8 Error: authentication failed: Plaintext authentication disallowed on non-secure (SSL/TLS) connections.', hint: /only over an encrypted connection/ },
    { line: '454 4.7.0 Temporary authentication failure', hint: /authentication backend failed/ },
    { line: '535 5.7.8 Error: authentication failed: generic failure', hint: /saslauthd/ },
    { line: '530 5.7.0 Must issue a STARTTLS command first', hint: /wants TLS before AUTH/ },
    { line: '530 5.7.0 Authentication required', hint: /wants TLS before AUTH/ },
    { line: '432 4.7.12 A password transition is needed', hint: /password transition: log in once with PLAIN/ },
    { line: '503 5.5.1 Error: already authenticated', hint: /does not allow AUTH in this state/ },
    { line: '535 5.7.139 Authentication unsuccessful, SmtpClientAuthentication is disabled for the Tenant.', hint: /switched off password logins/ },
    { line: '535 5.7.8 Error: authentication failed: VXNlcm5hbWU6', hint: /user-name step of LOGIN/ },
    { line: '535 5.7.3 Authentication unsuccessful', hint: /not RFC 4954's 5\.7\.8/ },
    { line: '554 5.7.1 Go away', hint: /^see the server reply and its log$/ },
  ];
  for (const { line, hint } of cases) {
    it(`"${line}" gets ${hint}, not the wrong-password hint alone`, () => {
      const chosen = authFailureHint(received(line));
      assert.match(chosen, hint);
      assert.doesNotMatch(chosen, WRONG_PASSWORD);
    });
  }
});

describe('DNS failures: a hint and exit code 2 from the reason alone', () => {
  for (const reason of ['dns-timeout', 'dns-refused', 'dns-servfail', 'dns-malformed', 'dns-truncated', 'dns-cname-loop', 'dns-oversized', 'dns-unreachable'] as const) {
    it(`${reason} has a hint and exits 2`, () => {
      const error = new DnsError(reason, 'whatever the message says', { name: 'example.test', type: 'MX', resolvers: ['127.0.0.1:53'] });
      assert.ok(hintFor(error));
      assert.equal(exitCodeFor(error.reason), ExitCode.connect);
    });
  }
});
