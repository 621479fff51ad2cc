import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { postfixLab, servicePort } from '../e2e/postfix-lab.js';
import { TmuxRepl } from './tmux.js';

/**
 * Ctrl-C at the masked password prompt of `auth`, on a real terminal (tmux) against
 * the lab's submission port: the user stopped, nothing broke. Before, the prompt
 * library's ExitPromptError surfaced as "internal error … this is a bug" with exit 7.
 */
describe('Ctrl-C at the password prompt', { timeout: 30_000 }, () => {
  const lab = postfixLab();
  const running: TmuxRepl[] = [];
  after(() => {
    for (const terminal of running) terminal.kill();
  });

  it('ends `auth` with exit 130 and one line saying it was interrupted, no stack trace and no "internal error"', async () => {
    const terminal = TmuxRepl.startCommand(
      ['auth', '--server', `127.0.0.1:${servicePort('submission')}`, '--tls', '--tls-ca', lab.caFile, '--auth-user', 'john@example.org'],
      { SMTPCHECK_PASSWORD: null, NO_COLOR: '1', FORCE_COLOR: null },
    );
    running.push(terminal);
    await terminal.waitFor(/Password for john@example\.org:/, 'the password prompt');
    terminal.keys('C-c');
    const screen = await terminal.waitFor(/\[exit \d+\]/, 'the exit status');
    assert.match(screen, /\[exit 130\]/);
    assert.match(screen, /smtpcheck: error: interrupted at the password prompt/);
    assert.doesNotMatch(screen, /internal error|this is a bug|at .*\.js:\d+/);
  });
});
