import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { describe, it } from 'node:test';
import { establishSession } from '../../src/core/establish.js';
import { ProtocolError } from '../../src/core/errors.js';
import { ExitCode } from '../../src/outcome/exit-codes.js';
import { MAX_REPLY_LINE, MAX_REPLY_LINES } from '../../src/core/reply-reader.js';
import { SmtpSession } from '../../src/core/session.js';
import { runCliMeasured } from '../fakes/cli-process.js';
import type { FakePeer } from '../fakes/fake-smtp-server.js';
import { startFakeServer } from '../fakes/fake-smtp-server.js';
import { clientGone, coreOptions, flood, serverPool } from '../fakes/hostile-peer.js';

/**
 * Issue 6, oversized input: however much a server sends, the client stops at a named
 * limit, quickly, with its memory bounded. The CLI runs as a child process so that
 * its peak resident set (VmHWM) can be read as it exits.
 */
const track = serverPool();
const MEMORY_BOUND_MB = 100;
const TEN_MB = 10 * 1024 * 1024;

/** 10 MB in 64 KiB writes, without a line end. */
async function tenMegabyteLine(peer: FakePeer): Promise<void> {
  const chunk = Buffer.alloc(64 * 1024, 0x41);
  let sent = 0;
  await flood(peer, () => {
    if (sent >= TEN_MB) return null;
    sent += chunk.length;
    return chunk;
  });
}

/** 100,000 continuation lines of a 250 reply, then its last line. */
async function hundredThousandLines(peer: FakePeer): Promise<void> {
  const block = Buffer.from('250-STILL-GOING this reply has many lines\r\n'.repeat(1000));
  let blocks = 0;
  await flood(peer, () => {
    blocks += 1;
    if (blocks <= 100) return block;
    return blocks === 101 ? Buffer.from('250 done\r\n') : null;
  });
}

const greetThen = (attack: (peer: FakePeer) => Promise<void>, atEhlo: boolean) => async (peer: FakePeer) => {
  if (atEhlo) {
    peer.write('220 fake ESMTP\r\n');
    await peer.readLine();
  }
  await attack(peer);
  await clientGone(peer);
};

describe('oversized replies stop at a named limit (core)', { concurrency: true }, () => {
  it(`a 10 MB greeting line without CRLF stops at MAX_REPLY_LINE (${MAX_REPLY_LINE} bytes), naming the greeting`, async () => {
    const server = await track(startFakeServer(greetThen(tenMegabyteLine, false)));
    const started = performance.now();
    await assert.rejects(SmtpSession.open(coreOptions(server.port)), (error: unknown) => {
      assert.ok(error instanceof ProtocolError, String(error));
      assert.equal(error.step, 'greeting');
      assert.match(error.message, new RegExp(`longer than ${MAX_REPLY_LINE} bytes without a line end, while waiting for the server greeting`));
      return true;
    });
    assert.ok(performance.now() - started < 1000);
  });

  it(`a 100,000-line EHLO reply stops at MAX_REPLY_LINES (${MAX_REPLY_LINES}), naming EHLO`, async () => {
    const server = await track(startFakeServer(greetThen(hundredThousandLines, true)));
    await assert.rejects(establishSession(coreOptions(server.port)), (error: unknown) => {
      assert.ok(error instanceof ProtocolError, String(error));
      assert.equal(error.step, 'ehlo');
      assert.match(error.message, new RegExp(`more than ${MAX_REPLY_LINES} lines, while waiting for the reply to EHLO`));
      return true;
    });
  });
});

describe('the CLI against endless input: exit 6, the limit named, peak memory under 100 MB', { concurrency: true }, () => {
  const cases: { name: string; script: (peer: FakePeer) => Promise<void>; message: RegExp }[] = [
    { name: 'a 10 MB reply line without CRLF', script: greetThen(tenMegabyteLine, true), message: new RegExp(`reply line longer than ${MAX_REPLY_LINE} bytes without a line end, while waiting for the reply to EHLO`) },
    { name: 'a multi-line reply of 100,000 lines', script: greetThen(hundredThousandLines, true), message: new RegExp(`reply of more than ${MAX_REPLY_LINES} lines, while waiting for the reply to EHLO`) },
    {
      name: 'random bytes streamed forever instead of a greeting',
      script: greetThen(async (peer) => {
        await flood(peer, () => randomBytes(16 * 1024));
      }, false),
      message: /malformed reply line from server|longer than \d+ bytes|mixed reply codes/,
    },
    {
      name: 'a valid continuation line repeated forever',
      script: greetThen(async (peer) => {
        await flood(peer, () => Buffer.from(`250-${randomBytes(30).toString('hex')}\r\n`.repeat(100)));
      }, true),
      message: new RegExp(`more than ${MAX_REPLY_LINES} lines`),
    },
    {
      name: 'complete replies nobody asked for, forever',
      script: greetThen(async (peer) => {
        peer.write('220 fake ESMTP\r\n');
        await flood(peer, () => Buffer.from('250 2.0.0 Ok\r\n'.repeat(500)));
      }, false),
      // Usually caught right after the greeting; if the first one crossed EHLO on the wire it is taken for its reply, and the next is caught.
      message: /reply nobody asked for after (the greeting|the reply to EHLO)/,
    },
  ];
  for (const { name, script, message } of cases) {
    it(`${name}: stops in bounded time and memory`, async (t) => {
      const server = await track(startFakeServer(script));
      const run = await runCliMeasured(['caps', '--server', `127.0.0.1:${server.port}`, '--timeout', '5'], { timeoutMs: 15_000 });
      assert.equal(run.code, ExitCode.protocol, run.stderr);
      assert.equal(run.stderr.trim().split('\n').length, 1, run.stderr);
      assert.match(run.stderr, message);
      t.diagnostic(`peak RSS ${run.peakRssMb.toFixed(1)} MB, ${Math.round(run.elapsedMs)} ms`);
      assert.ok(run.peakRssMb > 0 && run.peakRssMb < MEMORY_BOUND_MB, `peak RSS ${run.peakRssMb.toFixed(1)} MB`);
      assert.ok(run.elapsedMs < 5000, `took ${Math.round(run.elapsedMs)} ms`);
    });
  }
});
