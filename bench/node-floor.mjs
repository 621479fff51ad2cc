#!/usr/bin/env node
/**
 * The least a Node SMTP client can do, as a floor for bench/throughput.sh: plain
 * `net` sockets, replies split on LF and counted (a line with "-" after the code
 * continues a reply), no parsing, no timeouts, no transcript, no error handling
 * beyond stopping. It shows what Node itself costs per message, so the gap between
 * smtpcheck and smtp-source can be split into "Node" and "smtpcheck's own code".
 * Not a client to use: it checks nothing the server says.
 *
 *   node bench/node-floor.mjs PORT SESSIONS MESSAGES SIZE [--reuse] [--pipeline]
 *
 * Prints the number of messages sent and the seconds taken.
 */
import net from 'node:net';

const [port, sessions, total, size] = process.argv.slice(2, 6).map(Number);
const reuse = process.argv.includes('--reuse');
const pipeline = process.argv.includes('--pipeline');
const header = 'From: <load@example.org>\r\nTo: <sink@example.org>\r\nSubject: node floor\r\n\r\n';
const line = `${'x'.repeat(78)}\r\n`;
const body = header + line.repeat(Math.floor((size - header.length) / line.length));
const message = Buffer.from(`${body}${'y'.repeat(Math.max(size - body.length - 2, 0))}\r\n.\r\n`);
const transaction = ['MAIL FROM:<load@example.org>\r\n', 'RCPT TO:<sink@example.org>\r\n', 'DATA\r\n'];

let started = 0;
let sent = 0;

/** One session: sends messages while any are left (only one without --reuse). */
function session() {
  return new Promise((resolve) => {
    const socket = net.connect(port, '127.0.0.1');
    socket.setNoDelay(true);
    const write = (data) => () => socket.write(data);
    const skip = () => undefined;
    const startMessage = (first) => {
      if (started >= total || (!reuse && !first)) {
        socket.write('QUIT\r\n');
        onReply.push(() => socket.end());
        return;
      }
      started += 1;
      if (pipeline) {
        socket.write(transaction.join(''));
        onReply.push(skip, skip, sendMessage);
      } else {
        socket.write(transaction[0]);
        onReply.push(write(transaction[1]), write(transaction[2]), sendMessage);
      }
    };
    const sendMessage = () => {
      socket.write(message);
      onReply.push(() => {
        sent += 1;
        startMessage(false);
      });
    };
    // What to do on each complete reply to come, oldest first: greeting, EHLO, …
    const onReply = [write('EHLO bench.example\r\n'), () => startMessage(true)];
    let pending = '';
    socket.on('data', (chunk) => {
      pending += chunk.toString('latin1');
      for (let end = pending.indexOf('\n'); end >= 0; end = pending.indexOf('\n')) {
        const continued = pending[3] === '-';
        pending = pending.slice(end + 1);
        if (!continued) onReply.shift()?.();
      }
    });
    socket.on('close', resolve);
    socket.on('error', resolve);
  });
}

const startedAt = performance.now();
await Promise.all(
  Array.from({ length: sessions }, async () => {
    while (started < total) await session();
  }),
);
console.log(`${sent} messages in ${((performance.now() - startedAt) / 1000).toFixed(3)} s`);
