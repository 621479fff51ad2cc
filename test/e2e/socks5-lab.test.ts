import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { ExitCode } from '../../src/outcome/exit-codes.js';
import { LAB_DIR, runCli, servicePort } from './postfix-lab.js';

/**
 * --socks5 through a real dante (test/lab/proxy/dante.sh) to the real Postfix lab:
 * one dante without authentication, one that demands username/password (RFC 1929,
 * checked against the system's users; the lab creates none, so only refusals are
 * tested there: the successful exchange is covered by fakes/socks5-cli.test.ts).
 */
function dante(): { open: number; auth: number } {
  try {
    return JSON.parse(readFileSync(`${LAB_DIR}/dante/dante.json`, 'utf8')) as { open: number; auth: number };
  } catch {
    throw new Error(`the lab's dante is not running (${LAB_DIR}/dante/dante.json missing): bash test/lab/proxy/dante.sh start`);
  }
}

const send = (server: string, socks: number, extra: string[] = [], env: Record<string, string> = {}) =>
  runCli(['send', '--server', server, '--socks5', `127.0.0.1:${socks}`, '--from', 'p@example.net', '--to', 'john@example.org', '--quit-after', 'rcpt', '--timeout', '10', '--json', ...extra], { timeoutMs: 30_000, env });

describe('SOCKS5 through a real dante', { concurrency: true }, () => {
  it('without authentication: the whole session goes through the tunnel to Postfix', async () => {
    const result = await send(`127.0.0.1:${servicePort('mta')}`, dante().open);
    assert.equal(result.code, ExitCode.ok, result.stdout + result.stderr);
    const document = JSON.parse(result.stdout) as { events: { type: string; message?: string; reply?: { code: number } }[] };
    assert.ok(document.events.some((event) => event.type === 'info' && /through the SOCKS5 server/.test(event.message ?? '')));
    assert.ok(document.events.some((event) => event.type === 'receive' && event.reply?.code === 220));
  });

  it('dante cannot reach the target (nothing on 127.0.0.1:1): exit 2, socks-refused', async () => {
    const result = await send('127.0.0.1:1', dante().open);
    assert.equal(result.code, ExitCode.connect, result.stdout + result.stderr);
    assert.equal(JSON.parse(result.stdout).error.reason, 'socks-refused');
  });

  it('dante demanding a login, none given: exit 2, socks-auth, before any SMTP', async () => {
    const result = await send(`127.0.0.1:${servicePort('mta')}`, dante().auth);
    assert.equal(result.code, ExitCode.connect, result.stdout + result.stderr);
    assert.equal(JSON.parse(result.stdout).error.reason, 'socks-auth');
  });

  it('dante refusing an unknown user (RFC 1929 status not 0): exit 2, socks-auth', async () => {
    const result = await send(`127.0.0.1:${servicePort('mta')}`, dante().auth, ['--socks5-user', 'smtpcheck-no-such-user'], { SMTPCHECK_SOCKS5_PASSWORD: 'wrong' });
    assert.equal(result.code, ExitCode.connect, result.stdout + result.stderr);
    const error = JSON.parse(result.stdout).error as { reason: string; message: string };
    assert.equal(error.reason, 'socks-auth');
    assert.match(error.message, /refused user smtpcheck-no-such-user/);
  });
});
