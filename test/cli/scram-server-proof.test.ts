import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ExitCode } from '../../src/outcome/exit-codes.js';
import { runCli } from '../e2e/postfix-lab.js';
import { demoCaFile, serverPool } from '../fakes/hostile-peer.js';
import { ehloLines, startResponder } from '../fakes/smtp-responder.js';

/**
 * RFC 5802 §5: the server signature (v=) is the server's proof that it knows the
 * password. A server that answers 235 without it, or with a wrong one, has proved
 * nothing: authentication fails (exit 4). A server asking for absurd iteration counts
 * must not keep smtpcheck busy for minutes.
 */
const track = serverPool();
const b64 = (text: string) => Buffer.from(text).toString('base64');

/** A SCRAM-SHA-256 server that never checks the proof: `final` is what it sends after it (a 334 challenge, or the 235 itself). */
function scramServer(iterations: number, final: (state: 'proof') => string) {
  return track(
    startResponder((line, state) => {
      if (/^EHLO/i.test(line)) return ehloLines(state.tls ? ['AUTH SCRAM-SHA-256'] : ['STARTTLS']);
      if (/^STARTTLS$/i.test(line)) return '220 2.0.0 Ready to start TLS';
      const start = /^AUTH SCRAM-SHA-256 (\S+)$/i.exec(line);
      if (start) {
        const clientNonce = /r=([^,]+)/.exec(Buffer.from(start[1]!, 'base64').toString())![1]!;
        return `334 ${b64(`r=${clientNonce}server,s=${b64('salt')},i=${iterations}`)}`;
      }
      if (state.memory.proofSeen) return line === '' ? '235 2.7.0 Authentication successful' : '535 5.7.8 no';
      if (/^[A-Za-z0-9+/=]+$/.test(line)) {
        state.memory.proofSeen = true;
        return final('proof');
      }
      return '502 5.5.2 Error: command not recognized';
    }),
  );
}

const auth = (port: number) => runCli(['auth', '--server', `127.0.0.1:${port}`, '--tls', '--tls-ca', demoCaFile(), '--auth-user', 'john@example.org', '--auth-mech', 'SCRAM-SHA-256', '--timeout', '5'], { timeoutMs: 20_000, env: { SMTPCHECK_PASSWORD: 'summersun' } });

describe('SCRAM: the server must prove it knows the password', { concurrency: true }, () => {
  it('a wrong server signature is an authentication failure, exit 4', async () => {
    const server = await scramServer(4096, () => `334 ${b64(`v=${b64('not the signature')}`)}`);
    const result = await auth(server.port);
    assert.equal(result.code, ExitCode.auth, result.stdout + result.stderr);
    assert.match(result.stderr + result.stdout, /server signature \(v=\) was missing or wrong/);
  });

  it('a 235 with no server signature at all is an authentication failure, exit 4', async () => {
    const server = await scramServer(4096, () => '235 2.7.0 Authentication successful');
    const result = await auth(server.port);
    assert.equal(result.code, ExitCode.auth, result.stdout + result.stderr);
    assert.match(result.stderr + result.stdout, /missing or wrong/);
  });

  it('more iterations than the cap end at once with an error naming them, not a hang', async () => {
    const server = await scramServer(2_147_483_647, () => '235 2.7.0 ok');
    const started = Date.now();
    const result = await auth(server.port);
    assert.equal(result.code, ExitCode.auth, result.stdout + result.stderr);
    assert.match(result.stderr + result.stdout, /2147483647 SCRAM iterations/);
    assert.ok(Date.now() - started < 15_000);
  });
});
