import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { appendHistory, HISTORY_LIMIT, historyFilePath, isRecordable, loadHistory } from '../../src/repl/history.js';

const typing = { body: false, sasl: null };
const directories: string[] = [];
after(() => directories.forEach((directory) => rmSync(directory, { recursive: true, force: true })));

function temporaryDirectory(): string {
  const directory = mkdtempSync(join(tmpdir(), 'smtpcheck-history-'));
  directories.push(directory);
  return directory;
}

describe('the history file', () => {
  it('lives under $XDG_STATE_HOME, else ~/.local/state; a relative XDG_STATE_HOME is ignored', () => {
    assert.equal(historyFilePath({ XDG_STATE_HOME: '/var/state' }, '/home/ann'), '/var/state/smtpcheck/repl_history');
    assert.equal(historyFilePath({}, '/home/ann'), '/home/ann/.local/state/smtpcheck/repl_history');
    assert.equal(historyFilePath({ XDG_STATE_HOME: 'state' }, '/home/ann'), '/home/ann/.local/state/smtpcheck/repl_history');
  });

  it('keeps commands and meta-commands', () => {
    assert.equal(isRecordable('EHLO x.example', typing), true);
    assert.equal(isRecordable(':auth plain john@example.org', typing), true);
    assert.equal(isRecordable(':plain john@example.org', typing), true);
  });

  it('never keeps a line that carried a secret, nor message bodies', () => {
    assert.equal(isRecordable('AUTH PLAIN AGpvaG5AZXhhbXBsZS5vcmcAc3VtbWVyc3Vu', typing), false);
    assert.equal(isRecordable('c3VtbWVyc3Vu', { body: false, sasl: { mechanism: 'LOGIN', user: 'john', challenge: 'Password:' } }), false);
    assert.equal(isRecordable(':b64 encode \\0john\\0summersun', typing), false);
    assert.equal(isRecordable('Subject: hello', { body: true, sasl: null }), false);
    assert.equal(isRecordable('   ', typing), false);
  });

  it('is written owner-only, one line at a time, and read back newest first', () => {
    const path = join(temporaryDirectory(), 'smtpcheck', 'repl_history');
    assert.deepEqual(loadHistory(path), [], 'no file yet: empty');
    appendHistory(path, 'EHLO a.example');
    appendHistory(path, ':starttls');
    assert.deepEqual(loadHistory(path), [':starttls', 'EHLO a.example']);
    assert.equal(statSync(path).mode & 0o777, 0o600);
  });

  it('loads at most HISTORY_LIMIT lines and trims a file that grew far past it', () => {
    const path = join(temporaryDirectory(), 'repl_history');
    writeFileSync(path, Array.from({ length: HISTORY_LIMIT * 2 + 5 }, (_, index) => `NOOP ${index}\n`).join(''));
    const history = loadHistory(path);
    assert.equal(history.length, HISTORY_LIMIT);
    assert.equal(history[0], `NOOP ${HISTORY_LIMIT * 2 + 4}`);
    assert.equal(readFileSync(path, 'utf8').split('\n').filter(Boolean).length, HISTORY_LIMIT);
  });
});
