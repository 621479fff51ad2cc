import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ExitCode } from '../../src/outcome/exit-codes.js';
import { runCli } from '../e2e/postfix-lab.js';
import { serverPool } from '../fakes/hostile-peer.js';
import type { ResponderState } from '../fakes/smtp-responder.js';
import { startResponder } from '../fakes/smtp-responder.js';

/**
 * `send --protocol lmtp`: after the message an LMTP server answers once per accepted
 * recipient, in RCPT order (RFC 2033 §4.2), so a message can reach one mailbox and
 * not another. `send` reports each recipient's outcome instead of one verdict.
 */
const track = serverPool();

interface LmtpMemory {
  accepted: string[];
  inData: boolean;
  /** Bytes of the current BDAT chunk still to come, and whether it is the last. */
  bdat: { left: number; last: boolean } | null;
}

/**
 * An LMTP server: RCPT refuses addresses starting with "nosuch"; after the end of
 * data (or BDAT LAST) it answers each accepted recipient with `verdict(address)`.
 */
function lmtpServer(verdict: (address: string) => string) {
  const verdicts = (memory: LmtpMemory) => memory.accepted.map(verdict).join('\n');
  return track(
    startResponder(
      (line: string, state: ResponderState) => {
        const memory = ((state.memory.lmtp as LmtpMemory | undefined) ??= { accepted: [], inData: false, bdat: null }) as LmtpMemory;
        if (memory.bdat) {
          // The chunk is CRLF-normalised and ends at a line end, so it arrives as whole lines.
          memory.bdat.left -= line.length + 2;
          if (memory.bdat.left > 0) return null;
          const last = memory.bdat.last;
          memory.bdat = null;
          return last ? verdicts(memory) : '250 2.0.0 Ok: chunk received';
        }
        if (memory.inData) {
          if (line !== '.') return null;
          memory.inData = false;
          return verdicts(memory);
        }
        const [verb = '', argument = ''] = line.split(' ');
        switch (verb.toUpperCase()) {
          case 'LHLO':
            return '250-lmtp.example.org\n250-PIPELINING\n250-ENHANCEDSTATUSCODES\n250-8BITMIME\n250 CHUNKING';
          case 'MAIL':
            memory.accepted = [];
            return '250 2.1.0 Ok';
          case 'RCPT': {
            const address = /<(.*)>/.exec(line)?.[1] ?? '';
            if (address.startsWith('nosuch')) return `550 5.1.1 <${address}> User doesn't exist: ${address}`;
            memory.accepted.push(address);
            return '250 2.1.5 Ok';
          }
          case 'DATA':
            memory.inData = true;
            return '354 OK';
          case 'BDAT':
            memory.bdat = { left: Number(argument), last: /\sLAST$/i.test(line) };
            return null;
          default:
            return '502 5.5.2 Error: command not recognized';
        }
      },
      { greeting: '220 lmtp.example.org Dovecot ready.' },
    ),
  );
}

const saved = (address: string) => `250 2.0.0 <${address}> Vm9jYWw Saved`;
const lisaIsFull = (address: string) => (address.startsWith('lisa') ? `452 4.2.2 <${address}> Mailbox full` : saved(address));

const send = (port: number, to: string, ...extra: string[]) =>
  runCli(['send', '--server', `127.0.0.1:${port}`, '--protocol', 'lmtp', '--from', 'a@example.net', '--to', to, '--timeout', '2', ...extra], { timeoutMs: 10_000 });

describe('send --protocol lmtp reports each recipient\'s delivery', { concurrency: true }, () => {
  it('a partial delivery exits 5, counts the delivered recipients and warns for each refused one, at RCPT or after the message', async () => {
    const server = await lmtpServer(lisaIsFull);
    const result = await send(server.port, 'lisa@example.org,nosuch@example.org,john@example.org');
    assert.equal(result.code, ExitCode.rejected, result.stdout + result.stderr);
    assert.match(server.connections[0]![0]!, /^LHLO /);
    assert.match(result.stdout, /^✘ message smtpcheck-[0-9a-f]{12} delivered to 1 of 3 recipient\(s\)$/m);
    assert.match(result.stdout, /^\*\*\* recipient nosuch@example\.org refused: 550 5\.1\.1 <nosuch@example\.org> User doesn't exist/m);
    assert.match(result.stdout, /^\*\*\* recipient lisa@example\.org not delivered: 452 4\.2\.2 <lisa@example\.org> Mailbox full$/m);
    assert.doesNotMatch(result.stdout, /recipient john@example\.org/, 'john got the message');
    assert.doesNotMatch(result.stderr, /DATA refused/, 'not reported as one refused message');
  });

  it('--json pairs each accepted recipient with its own verdict, in RCPT order', async () => {
    const server = await lmtpServer(lisaIsFull);
    const result = await send(server.port, 'lisa@example.org,nosuch@example.org,john@example.org', '--json');
    assert.equal(result.code, ExitCode.rejected, result.stderr);
    const document = JSON.parse(result.stdout);
    assert.equal(document.ok, false);
    assert.equal(document.exitCode, ExitCode.rejected);
    const recipients = document.result.recipients as { address: string; accepted: boolean; reply: { code: number }; delivery?: { code: number; raw: string[] } }[];
    assert.deepEqual(
      recipients.map((recipient) => [recipient.address, recipient.accepted, recipient.reply.code, recipient.delivery?.raw[0] ?? null]),
      [
        ['lisa@example.org', true, 250, '452 4.2.2 <lisa@example.org> Mailbox full'],
        ['nosuch@example.org', false, 550, null],
        ['john@example.org', true, 250, '250 2.0.0 <john@example.org> Vm9jYWw Saved'],
      ],
    );
    assert.equal(document.result.final.code, 452, 'final: the first refusal among the verdicts');
  });

  it('with --chunking the verdicts after BDAT LAST are reported the same way', async () => {
    const server = await lmtpServer(lisaIsFull);
    const result = await send(server.port, 'john@example.org,lisa@example.org', '--chunking', '--json');
    assert.equal(result.code, ExitCode.rejected, result.stderr);
    assert.ok(server.connections[0]!.some((line) => /^BDAT \d+ LAST$/.test(line)), 'the message went with BDAT');
    const document = JSON.parse(result.stdout);
    assert.deepEqual(
      document.result.recipients.map((recipient: { delivery: { code: number } }) => recipient.delivery.code),
      [250, 452],
    );
  });

  it('every recipient delivered: exit 0 and "delivered to N of N", no warning', async () => {
    const server = await lmtpServer(saved);
    const result = await send(server.port, 'john@example.org,lisa@example.org', '--pipeline');
    assert.equal(result.code, ExitCode.ok, result.stdout + result.stderr);
    assert.match(result.stdout, /^✔ message smtpcheck-[0-9a-f]{12} delivered to 2 of 2 recipient\(s\)$/m);
    assert.doesNotMatch(result.stdout, /^\*\*\*/m);
    assert.match(result.stdout, /<- {2}250 2\.0\.0 <john@example\.org> Vm9jYWw Saved\n<- {2}250 2\.0\.0 <lisa@example\.org> Vm9jYWw Saved/, 'both verdicts are in the transcript, in RCPT order');
  });

  it('every accepted recipient refused after the message: exit 5 and "delivered to 0 of N"', async () => {
    const server = await lmtpServer((address) => `452 4.2.2 <${address}> Mailbox full`);
    const result = await send(server.port, 'john@example.org,lisa@example.org');
    assert.equal(result.code, ExitCode.rejected, result.stdout + result.stderr);
    assert.match(result.stdout, /^✘ message smtpcheck-[0-9a-f]{12} delivered to 0 of 2 recipient\(s\)$/m);
    assert.equal(result.stdout.match(/^\*\*\* recipient \S+ not delivered: 452 4\.2\.2/gm)?.length, 2);
  });
});
