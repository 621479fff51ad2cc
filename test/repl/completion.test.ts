import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { completeLine } from '../../src/repl/completion.js';

const context = { mechanisms: ['PLAIN', 'LOGIN'], checkIds: ['relay-percent', 'relay-quoted', 'conn-greeting'] };

describe('Tab completion', () => {
  it('completes meta-command names after ":"', () => {
    assert.deepEqual(completeLine(':sta', context), [[':starttls'], ':sta']);
    assert.deepEqual(completeLine(':', context)[0].length, 13);
  });

  it('completes SMTP verbs in the case the user started, MAIL and RCPT up to the path', () => {
    assert.deepEqual(completeLine('MA', context), [['MAIL FROM:<'], 'MA']);
    assert.deepEqual(completeLine('rc', context), [['rcpt to:<'], 'rc']);
    assert.deepEqual(completeLine('E', context), [['EHLO', 'EXPN', 'ETRN'], 'E']);
  });

  it('completes the mechanisms the server offered after AUTH and :auth', () => {
    assert.deepEqual(completeLine('AUTH P', context), [['PLAIN'], 'P']);
    assert.deepEqual(completeLine(':auth l', context), [['login'], 'l']);
    assert.ok(completeLine(':auth s', { ...context, mechanisms: [] })[0].includes('scram-sha-256'), 'all known mechanisms before EHLO');
  });

  it('completes check ids, :b64 modes and :help topics', () => {
    assert.deepEqual(completeLine(':check relay-', context), [['relay-percent', 'relay-quoted'], 'relay-']);
    assert.deepEqual(completeLine(':b64 d', context), [['decode'], 'd']);
    assert.deepEqual(completeLine(':help re', context), [['reconnect'], 're']);
  });

  it('offers nothing past the arguments a command takes, or inside an address', () => {
    assert.deepEqual(completeLine(':check relay-percent x', context), [[], 'x']);
    assert.deepEqual(completeLine('MAIL FROM:<jo', context), [[], 'FROM:<jo']);
  });
});

describe('Tab completion of paths for :save', () => {
  it('completes entries of the named directory, exactly as cased, directories with a trailing "/"', () => {
    const dir = mkdtempSync(join(tmpdir(), 'smtpcheck-complete-'));
    writeFileSync(join(dir, 'session.log'), '');
    writeFileSync(join(dir, 'Session.txt'), '');
    mkdirSync(join(dir, 'saved'));
    try {
      assert.deepEqual(completeLine(`:save ${dir}/s`, context)[0].sort(), [`${dir}/saved/`, `${dir}/session.log`]);
      assert.deepEqual(completeLine(`:save ${dir}/S`, context)[0], [`${dir}/Session.txt`]);
      assert.deepEqual(completeLine(`:save ${dir}/nothing-here/x`, context)[0], []);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
