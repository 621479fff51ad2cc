import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { ExitCode } from '../../src/outcome/exit-codes.js';
import { LAB_DIR, runCli, servicePort } from './postfix-lab.js';

/**
 * --socks5 through a real dante (test/lab/proxy/dante.sh) to the real Postfix lab:
 * one dante without authentication, one that demands username/password (RFC 1929),
 * checked by dante against the system account the lab keeps for it
 * (docs/lab-postfix.md#socks5-dante).
 */
interface Dante {
  open: number;
  auth: number;
  /** The lab's SOCKS5 account and the root-only file with its password. */
  user: string;
  passwordFile: string;
}

function dante(): Dante {
  try {
    return JSON.parse(readFileSync(`${LAB_DIR}/dante/dante.json`, 'utf8')) as Dante;
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

  it('dante accepting the lab account\'s login: the session goes through to Postfix, and the password is in neither output', async () => {
    const { auth, user, passwordFile } = dante();
    const login = ['--socks5-user', user, '--socks5-password-file', passwordFile];
    const password = readFileSync(passwordFile, 'utf8').trim();
    assert.ok(password.length > 0);
    const json = await send(`127.0.0.1:${servicePort('mta')}`, auth, login);
    assert.equal(json.code, ExitCode.ok, json.stdout + json.stderr);
    const document = JSON.parse(json.stdout) as { events: { type: string; reply?: { code: number } }[] };
    // The greeting, EHLO, MAIL and RCPT, each answered by Postfix through the tunnel.
    assert.deepEqual(document.events.filter((event) => event.type === 'receive').map((event) => event.reply?.code), [220, 250, 250, 250, 221]);
    const text = await runCli(['send', '--server', `127.0.0.1:${servicePort('mta')}`, '--socks5', `127.0.0.1:${auth}`, ...login, '--from', 'p@example.net', '--to', 'john@example.org', '--quit-after', 'rcpt', '--timeout', '10'], { timeoutMs: 30_000 });
    assert.equal(text.code, ExitCode.ok, text.stdout + text.stderr);
    for (const output of [json.stdout, json.stderr, text.stdout, text.stderr]) assert.ok(!output.includes(password), 'the SOCKS5 password shows in the output');
  });

  it('dante refusing the lab account with a wrong password: exit 2, socks-auth, and the password is not echoed', async () => {
    const wrong = 'smtpcheck-not-the-password';
    const result = await send(`127.0.0.1:${servicePort('mta')}`, dante().auth, ['--socks5-user', dante().user], { SMTPCHECK_SOCKS5_PASSWORD: wrong });
    assert.equal(result.code, ExitCode.connect, result.stdout + result.stderr);
    assert.equal(JSON.parse(result.stdout).error.reason, 'socks-auth');
    assert.ok(!(result.stdout + result.stderr).includes(wrong));
  });

  it('dante refusing an unknown user (RFC 1929 status not 0): exit 2, socks-auth', async () => {
    const result = await send(`127.0.0.1:${servicePort('mta')}`, dante().auth, ['--socks5-user', 'smtpcheck-no-such-user'], { SMTPCHECK_SOCKS5_PASSWORD: 'wrong' });
    assert.equal(result.code, ExitCode.connect, result.stdout + result.stderr);
    const error = JSON.parse(result.stdout).error as { reason: string; message: string };
    assert.equal(error.reason, 'socks-auth');
    assert.match(error.message, /refused user smtpcheck-no-such-user/);
  });
});
