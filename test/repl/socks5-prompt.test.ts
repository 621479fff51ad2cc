import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { fakeSocks } from '../fakes/socks5-server.js';
import { serverPool } from '../fakes/hostile-peer.js';
import { smtpResponder, startResponder } from '../fakes/smtp-responder.js';
import { TmuxRepl } from './tmux.js';

/**
 * The SOCKS5 password on a real terminal (tmux): with neither
 * SMTPCHECK_SOCKS5_PASSWORD nor --socks5-password-file, smtpcheck asks for it,
 * masked, before it connects, and the proxy gets exactly what was typed.
 */
const track = serverPool();

describe('the SOCKS5 password prompt', { timeout: 30_000 }, () => {
  const running: TmuxRepl[] = [];
  after(() => {
    for (const terminal of running) terminal.kill();
  });

  it('asks for it masked, then logs in to the proxy with it and reaches the server', async () => {
    const server = await track(startResponder(smtpResponder({ ehlo: () => ['PIPELINING'] })));
    const socks = await fakeSocks({ user: 'tunnel', password: 'Typed-At-The-Prompt' });
    const terminal = TmuxRepl.startCommand(['caps', '--server', `127.0.0.1:${server.port}`, '--socks5', `127.0.0.1:${socks.port}`, '--socks5-user', 'tunnel'], {
      SMTPCHECK_SOCKS5_PASSWORD: null,
      NO_COLOR: '1',
      FORCE_COLOR: null,
    });
    running.push(terminal);
    await terminal.waitFor(/SOCKS5 password for tunnel:/, 'the SOCKS5 password prompt');
    assert.deepEqual(socks.requests, [], 'nothing connected before the password was typed');
    terminal.typeLine('Typed-At-The-Prompt');
    const screen = await terminal.waitFor(/\[exit \d+\]/, 'the exit status');
    assert.match(screen, /\[exit 0\]/);
    assert.deepEqual(socks.credentials, ['tunnel:Typed-At-The-Prompt']);
    assert.doesNotMatch(screen, /Typed-At-The-Prompt/, 'the password is masked');
  });
});
