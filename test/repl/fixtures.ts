import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { FakeServer } from '../fakes/fake-smtp-server.js';
import { startFakeServer } from '../fakes/fake-smtp-server.js';

/** What the REPL tests set up, and take down again in one `after`. */
export class Fixtures {
  private readonly servers: FakeServer[] = [];
  private readonly directories: string[] = [];

  directory(): string {
    const directory = mkdtempSync(join(tmpdir(), 'smtpcheck-repl-'));
    this.directories.push(directory);
    return directory;
  }

  keep(server: FakeServer): FakeServer {
    this.servers.push(server);
    return server;
  }

  /**
   * A server that greets, answers EHLO, and hangs up when the test says so: with a
   * 421 first, as Postfix does on its idle timeout, or without a word.
   */
  async serverThatHangsUp(how: '421' | 'silently'): Promise<{ server: FakeServer; hangUp: () => void }> {
    let hangUp!: () => void;
    const hungUp = new Promise<void>((resolve) => (hangUp = resolve));
    const server = await startFakeServer(async (peer) => {
      peer.write('220 fake.example.org ESMTP\r\n');
      await peer.answer('250 fake.example.org\r\n');
      await hungUp;
      if (how === '421') {
        peer.write('421 4.4.2 fake.example.org Error: timeout exceeded\r\n');
        peer.close();
      } else peer.destroy();
    });
    return { server: this.keep(server), hangUp };
  }

  async cleanUp(): Promise<void> {
    await Promise.all(this.servers.map((server) => server.close()));
    for (const directory of this.directories) rmSync(directory, { recursive: true, force: true });
  }
}
