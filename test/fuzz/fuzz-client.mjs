#!/usr/bin/env node
/**
 * Long fuzz run of the whole client against servers that answer at random: valid and
 * valid-looking replies, garbage bytes, silence, slow drips, early closes, resets,
 * surplus replies, STARTTLS with injected plaintext or a stalled handshake. Each run
 * drives one conversation, either through the core (establishSession, AUTH, the mail
 * transaction, pipelining, BDAT) or through the CLI commands in-process (runSend,
 * runAuth, runCaps, output muted).
 *
 * It counts three kinds of failure:
 *   crash       anything but a typed SmtpCheckError from the core; exit code 7
 *               (internal error) from a command; an uncaught exception or rejection
 *   hang        no outcome within HANG_MS, far beyond every timeout the run sets
 *   false pass  a message reported as sent although the server never answered its
 *               end of data with a well-formed 250
 * and exits 1 if any occurred. Not part of `npm test`; build first (npm run build):
 *
 *   node test/fuzz/fuzz-client.mjs [--seconds 120] [--concurrency 8] [--seed N] [--verbose] [--trace]
 *
 * A failing run prints its seed; `--seed N --concurrency 1 --seconds 0.001 --trace`
 * replays that one plan and shows both sides of the wire (timing can still differ).
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { authenticate } from '../../dist/src/core/authenticate.js';
import { establishSession } from '../../dist/src/core/establish.js';
import { SmtpCheckError } from '../../dist/src/core/errors.js';
import { ExitCode } from '../../dist/src/outcome/exit-codes.js';
import { Transcript } from '../../dist/src/core/transcript.js';
import { DEMO_CA_CERT_PEM } from '../../dist/src/lab/demo-certificates.js';
import { runAuth } from '../../dist/src/cli/auth.js';
import { runCaps } from '../../dist/src/cli/caps.js';
import { runSend } from '../../dist/src/cli/send.js';
import { startFakeServer } from '../../dist/test/fakes/fake-smtp-server.js';
import { DEMO_TLS, drip, serveTls } from '../../dist/test/fakes/hostile-peer.js';

const { values: args } = parseArgs({
  options: {
    seconds: { type: 'string', default: '120' },
    concurrency: { type: 'string', default: '8' },
    seed: { type: 'string' },
    verbose: { type: 'boolean', default: false },
    trace: { type: 'boolean', default: false },
  },
});
const SECONDS = Number(args.seconds);
const CONCURRENCY = Number(args.concurrency);
const BASE_SEED = args.seed !== undefined ? Number(args.seed) : Date.now() % 2 ** 31;

// Short limits keep silent servers cheap; HANG_MS is far above the worst legal sum
// (greeting + ~20 commands + TLS handshake + AUTH rounds, each bounded).
const TIMEOUTS = { connectMs: 500, greetingMs: 300, commandMs: 300, dataMs: 400 };
const HANG_MS = 20_000;
const USER = 'john@example.org';
const PASSWORD = 'summersun';

const out = process.stdout.write.bind(process.stdout);
const err = process.stderr.write.bind(process.stderr);
// The CLI commands print transcripts and error lines; thousands of runs would drown the summary.
process.stdout.write = () => true;
process.stderr.write = () => true;
process.env.SMTPCHECK_PASSWORD = PASSWORD;
process.env.NO_COLOR = '1';

const caFile = join(mkdtempSync(join(tmpdir(), 'smtpcheck-fuzz-')), 'ca.pem');
writeFileSync(caFile, DEMO_CA_CERT_PEM);

/** mulberry32: small, fast and seedable, so a failing plan can be replayed. */
function prng(seed) {
  let state = seed >>> 0;
  const next = () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const int = (min, max) => min + Math.floor(next() * (max - min + 1));
  const pick = (items) => items[Math.floor(next() * items.length)];
  const chance = (p) => next() < p;
  const weighted = (table) => {
    let roll = next() * table.reduce((sum, [, weight]) => sum + weight, 0);
    for (const [value, weight] of table) if ((roll -= weight) < 0) return value;
    return table[table.length - 1][0];
  };
  const bytes = (length) => Buffer.from(Array.from({ length }, () => int(0, 255)));
  const text = (length) => Array.from({ length }, () => pick('abcdefghijklmnopqrstuvwxyz0123456789 .-:<>@=/+'.split(''))).join('');
  return { next, int, pick, chance, weighted, bytes, text };
}

// ---------------------------------------------------------------- the server

const KEYWORDS = ['PIPELINING', 'CHUNKING', '8BITMIME', 'DSN', 'SMTPUTF8', 'ENHANCEDSTATUSCODES', 'STARTTLS', 'AUTH PLAIN LOGIN', 'AUTH CRAM-MD5 SCRAM-SHA-256 PLAIN', 'AUTH=LOGIN', 'SIZE 1000', 'SIZE', 'SIZE 99999999999999999999', 'VRFY', 'X-JUNK a b c', ''];

function formatReply(code, lines, lineEnd = '\r\n') {
  return lines.map((line, index) => `${code}${index === lines.length - 1 ? ' ' : '-'}${line}${lineEnd}`).join('');
}

/** A reply a real server might give at this step; `accepts` marks a well-formed 250 to the end of data. */
function plausibleReply(step, rng, state) {
  const lineEnd = rng.chance(0.1) ? '\n' : '\r\n';
  const one = (code, text) => ({ code, text: formatReply(code, [text], lineEnd) });
  switch (step) {
    case 'greeting':
      return rng.weighted([[one(220, 'fake.example.org ESMTP'), 90], [one(554, '5.7.1 no service'), 4], [one(421, '4.3.2 busy'), 4], [one(220, ''), 2]]);
    case 'ehlo': {
      if (rng.chance(0.1)) return rng.pick([one(500, '5.5.1 unknown'), one(502, '5.5.2 no'), one(421, '4.3.2 bye'), one(550, '5.7.1 no')]);
      const keywords = Array.from({ length: rng.int(0, 6) }, () => rng.pick(KEYWORDS)).filter((keyword) => !(state.tls && keyword === 'STARTTLS' && rng.chance(0.8)));
      return { code: 250, text: formatReply(250, ['fake.example.org', ...keywords], lineEnd) };
    }
    case 'helo':
      return rng.chance(0.8) ? one(250, 'fake.example.org') : one(501, '5.5.2 bad');
    case 'starttls':
      return rng.weighted([[one(220, '2.0.0 Ready'), 80], [one(454, '4.7.0 no TLS'), 8], [one(502, '5.5.1 no'), 6], [one(354, 'go'), 3], [one(421, '4.3.2 bye'), 3]]);
    case 'auth':
    case 'authdata':
      return rng.weighted([
        [one(235, '2.7.0 ok'), 40],
        [one(535, '5.7.8 nope'), 20],
        [one(334, rng.pick(['', 'VXNlcm5hbWU6', 'UGFzc3dvcmQ6', Buffer.from(`<${rng.int(1, 1e9)}@fake>`).toString('base64'), Buffer.from(`r=${rng.text(20)},s=${Buffer.from(rng.text(8)).toString('base64')},i=${rng.int(1, 50)}`).toString('base64'), 'not base64!', '=='])), 30],
        [one(504, '5.5.4 no'), 5],
        [one(421, '4.3.2 bye'), 5],
      ]);
    case 'mail':
    case 'rcpt':
      return rng.weighted([[one(250, '2.1.0 Ok'), 75], [one(550, '5.1.1 no'), 8], [one(451, '4.3.0 later'), 6], [one(421, '4.3.2 bye'), 3], [one(251, 'forwarding'), 3], [one(530, '5.7.0 auth first'), 5]]);
    case 'data':
      return rng.weighted([[one(354, 'End data with <CR><LF>.<CR><LF>'), 85], [one(554, '5.5.1 no valid recipients'), 8], [one(451, '4.3.0 later'), 7]]);
    case 'dot':
    case 'bdat-last':
      return rng.weighted([[{ ...one(250, '2.0.0 Ok: queued as ABC123'), accepts: true }, 80], [one(550, '5.7.1 spam'), 8], [one(451, '4.3.0 later'), 7], [one(421, '4.3.2 bye'), 5]]);
    case 'bdat':
      return rng.chance(0.9) ? one(250, '2.0.0 chunk ok') : one(552, '5.3.4 too big');
    case 'quit':
      return rng.chance(0.9) ? one(221, '2.0.0 Bye') : one(500, '5.5.2 what');
    default:
      return rng.chance(0.8) ? one(250, '2.0.0 Ok') : one(502, '5.5.2 unknown');
  }
}

function randomValidLooking(rng) {
  const code = rng.pick([rng.int(100, 699), rng.int(200, 599), 250, 354, 220]);
  const lines = Array.from({ length: rng.int(1, 4) }, () => rng.text(rng.int(0, 30)));
  let text = formatReply(code, lines, rng.chance(0.2) ? '\n' : '\r\n');
  if (rng.chance(0.2)) text = text.replace(/^(\d{3})-/m, `${rng.int(200, 599)}-`);
  return text;
}

/** With --trace, show what the server writes and reads. */
function traced(peer) {
  if (!args.trace || !peer) return peer;
  const write = peer.write.bind(peer);
  const readLine = peer.readLine.bind(peer);
  peer.write = (data) => {
    err(`S: ${JSON.stringify(String(data).slice(0, 300))}\n`);
    write(data);
  };
  peer.readLine = async () => {
    const line = await readLine();
    err(`C: ${JSON.stringify(line?.slice(0, 120) ?? null)}\n`);
    return line;
  };
  return peer;
}

/** One complete reply with code 250 on every line: what a client may rightly take as "accepted". */
function isWellFormed250(text) {
  const lines = text.split(/\r?\n/);
  if (lines.pop() !== '') return false;
  return lines.length > 0 && lines.every((line, index) => (index === lines.length - 1 ? /^250( |$)/.test(line) : /^250-/.test(line)));
}

function classify(line, state) {
  if (state.inData) return line === '.' ? 'dot' : 'body';
  if (state.authPending) return 'authdata';
  const verb = line.split(' ')[0].toUpperCase();
  return { EHLO: 'ehlo', HELO: 'helo', STARTTLS: 'starttls', AUTH: 'auth', MAIL: 'mail', RCPT: 'rcpt', DATA: 'data', BDAT: 'bdat', QUIT: 'quit', RSET: 'rset', NOOP: 'noop' }[verb] ?? 'other';
}

const BEHAVIOURS = [
  ['plausible', 60],
  ['random-valid', 8],
  ['bytes', 6],
  ['silence', 4],
  ['close', 4],
  ['reset', 3],
  ['extra', 4],
  ['drip', 2],
  ['huge-line', 1],
  ['many-lines', 1],
  ['partial-close', 3],
  ['unsolicited-then', 4],
];

/** One connection, answered at random; `record.accepted` is set when the server really accepted a message. */
async function serve(outer, rng, record, implicitTls) {
  let peer = traced(outer);
  const tcp = outer.socket;
  if (implicitTls) {
    peer = traced(await serveTls(outer, DEMO_TLS));
    if (!peer) return;
  }
  const state = { tls: implicitTls, inData: false, authPending: false, bdatLeft: 0, bdatLast: false };
  /** Answer a step with a randomly chosen behaviour; false ends the connection. */
  const answer = async (step) => {
    const behaviour = step === 'greeting' && rng.chance(0.5) ? 'plausible' : rng.weighted(BEHAVIOURS);
    const reply = plausibleReply(step, rng, state);
    switch (behaviour) {
      case 'plausible':
        peer.write(reply.text);
        if (reply.accepts) record.accepted = true;
        if (step === 'quit') {
          peer.close();
          return false;
        }
        if (step === 'starttls' && reply.code === 220 && !state.tls) {
          const tlsBehaviour = rng.weighted([['upgrade', 85], ['inject', 8], ['stall', 4], ['garbage', 3]]);
          if (tlsBehaviour === 'inject') peer.write(formatReply(250, ['fake.example.org', 'AUTH PLAIN']));
          if (tlsBehaviour === 'stall' || tlsBehaviour === 'garbage') {
            if (tlsBehaviour === 'garbage') peer.write('this is not TLS\r\n');
            while ((await peer.readLine()) !== null);
            return false;
          }
          peer = traced(await serveTls(peer, DEMO_TLS));
          if (!peer) return false;
          state.tls = true;
        }
        return true;
      case 'random-valid': {
        const text = randomValidLooking(rng);
        if ((step === 'dot' || step === 'bdat-last') && isWellFormed250(text)) record.accepted = true;
        peer.write(text);
        return true;
      }
      case 'bytes':
        peer.write(rng.bytes(rng.int(1, 300)));
        return true;
      case 'silence':
        return true;
      case 'close':
        peer.close();
        return false;
      case 'reset':
        peer.write(reply.text.slice(0, rng.int(0, reply.text.length)));
        setTimeout(() => tcp.resetAndDestroy(), rng.int(0, 20));
        return false;
      case 'extra':
        record.surplus = true;
        if (reply.accepts) record.accepted = true;
        peer.write(reply.text + plausibleReply(step, rng, state).text);
        return true;
      case 'drip':
        if (reply.accepts) record.accepted = true;
        await drip(peer, reply.text, rng.int(20, 80));
        return true;
      case 'huge-line':
        peer.write(Buffer.alloc(rng.int(8000, 40_000), 0x41));
        return true;
      case 'many-lines':
        peer.write(`${reply.code}-x\r\n`.repeat(rng.int(900, 3000)));
        return true;
      case 'partial-close':
        peer.write(reply.text.slice(0, rng.int(1, Math.max(1, reply.text.length - 1))));
        peer.close();
        return false;
      case 'unsolicited-then':
        record.surplus = true;
        peer.write(reply.text);
        if (reply.accepts) record.accepted = true;
        peer.write(plausibleReply(rng.pick(['mail', 'rcpt', 'other']), rng, state).text);
        return true;
    }
    return true;
  };

  /**
   * The server stays consistent with what it wrote, whatever the behaviour: after a
   * 354 it reads message content, after a 334 an AUTH response. (A server that
   * answers content lines as commands would fool any client; that is not what this
   * run measures.)
   */
  const answerStep = async (step) => {
    const target = peer;
    const write = target.write;
    let written = '';
    target.write = (data) => {
      written += String(data);
      write.call(target, data);
    };
    const keepGoing = await answer(step);
    target.write = write;
    if (step === 'data') state.inData = written.startsWith('354');
    if (step === 'auth' || step === 'authdata') state.authPending = written.startsWith('334');
    return keepGoing;
  };

  if (!(await answer('greeting'))) return;
  for (let line = await peer.readLine(); line !== null; line = await peer.readLine()) {
    if (state.bdatLeft > 0) {
      state.bdatLeft -= Buffer.byteLength(line, 'latin1') + 2;
      if (state.bdatLeft > 0) continue;
      if (!(await answer(state.bdatLast ? 'bdat-last' : 'bdat'))) return;
      continue;
    }
    const step = classify(line, state);
    if (step === 'body') continue;
    if (step === 'dot') state.inData = false;
    if (step === 'bdat') {
      const [, size = '0', last] = line.split(' ');
      state.bdatLeft = Number(size);
      state.bdatLast = last?.toUpperCase() === 'LAST';
      if (state.bdatLeft > 0) continue;
      if (!(await answer(state.bdatLast ? 'bdat-last' : 'bdat'))) return;
      continue;
    }
    if (!(await answerStep(step))) return;
  }
}

// ---------------------------------------------------------------- the client

function messageBody(rng) {
  const pieces = ['Subject: fuzz\r\n\r\n', '.', '..', '\r\n', '\n', '\r', '\n.\n', '\r\n.\r\n', 'text ', rng.text(40)];
  return Buffer.from(Array.from({ length: rng.int(0, 60) }, () => rng.pick(pieces)).join(''), 'latin1');
}

function clientPlan(rng) {
  return {
    flow: rng.weighted([['core-send', 45], ['cli-send', 25], ['cli-auth', 15], ['cli-caps', 10], ['core-caps', 5]]),
    tlsMode: rng.weighted([['none', 40], ['starttls', 30], ['starttls-optional', 20], ['implicit', 10]]),
    auth: rng.chance(0.4),
    mechanism: rng.pick([undefined, 'PLAIN', 'LOGIN', 'CRAM-MD5', 'SCRAM-SHA-256']),
    recipients: Array.from({ length: rng.int(1, 3) }, (_, index) => `rcpt${index}@example.org`),
    pipeline: rng.chance(0.4),
    chunking: rng.chance(0.25),
    insecure: rng.chance(0.1),
    body: messageBody(rng),
  };
}

/** The send command's logic, through the core: every failure must be a typed SmtpCheckError. */
async function coreSend(plan, port) {
  const session = await establishSession({
    host: '127.0.0.1',
    port,
    heloName: 'fuzz.example.com',
    transcript: tracedTranscript(),
    tlsMode: plan.tlsMode,
    tls: { caPem: DEMO_CA_CERT_PEM, insecure: plan.insecure },
    timeouts: TIMEOUTS,
  });
  try {
    if (plan.flow === 'core-caps') return false;
    if (plan.auth) await authenticate(session, { user: USER, secret: PASSWORD, allowPlaintext: true, ...(plan.mechanism ? { mechanism: plan.mechanism } : {}) });
    const caps = session.capabilities;
    let final = null;
    if (plan.pipeline && caps.pipelining) {
      const replies = await session.pipeline([{ line: `MAIL FROM:<${USER}>`, step: 'mail' }, ...plan.recipients.map((address) => ({ line: `RCPT TO:<${address}>`, step: 'rcpt' })), { line: 'DATA', step: 'data' }]);
      const accepted = replies.slice(1, -1).some((reply) => reply.code === 250 || reply.code === 251);
      if (replies.at(-1).code === 354) final = await session.sendMessageBody(accepted && replies[0].code === 250 ? [plan.body] : []);
      if (!accepted || replies[0].code !== 250) final = null;
    } else {
      const mail = await session.mailFrom(USER);
      if (mail.code !== 250) return false;
      let accepted = 0;
      for (const address of plan.recipients) {
        const reply = await session.rcptTo(address);
        if (reply.code === 250 || reply.code === 251) accepted += 1;
      }
      if (accepted === 0) return false;
      final = plan.chunking && caps.chunking ? await session.bdat([plan.body]) : await session.data([plan.body]);
    }
    return final?.code === 250;
  } finally {
    await session.quit();
  }
}

function tracedTranscript() {
  const transcript = new Transcript();
  if (args.trace) transcript.on((event) => err(`  client ${event.type}: ${JSON.stringify(event.type === 'receive' ? event.reply.raw : (event.text ?? event.message ?? ''))}\n`));
  return transcript;
}

async function cliCommand(plan, port) {
  const flags = {
    server: `127.0.0.1:${port}`,
    connectTimeout: String(TIMEOUTS.connectMs / 1000),
    greetingTimeout: String(TIMEOUTS.greetingMs / 1000),
    commandTimeout: String(TIMEOUTS.commandMs / 1000),
    dataTimeout: String(TIMEOUTS.dataMs / 1000),
    tlsCa: caFile,
    helo: 'fuzz.example.com',
    protocol: 'smtp',
    json: true,
    ...(plan.insecure ? { insecure: true } : {}),
    ...(plan.tlsMode === 'starttls' ? { tls: true } : plan.tlsMode === 'starttls-optional' ? { tlsOptional: true } : plan.tlsMode === 'implicit' ? { tlsOnConnect: true } : {}),
  };
  const auth = { authUser: USER, allowPlaintextAuth: true, ...(plan.mechanism ? { authMech: plan.mechanism } : {}) };
  if (plan.flow === 'cli-caps') return runCaps(flags);
  if (plan.flow === 'cli-auth') return runAuth({ ...flags, ...auth });
  // The body flag reads "@file" and "-" specially; a leading "x" keeps it text.
  return runSend({ ...flags, ...(plan.auth ? auth : {}), from: USER, to: plan.recipients, body: `x${plan.body.toString('latin1')}`, ...(plan.pipeline ? { pipeline: true } : {}), ...(plan.chunking ? { chunking: true } : {}) });
}

// ---------------------------------------------------------------- the run

const stats = { runs: 0, passes: 0, crashes: 0, hangs: 0, falsePasses: 0, surplusRaces: 0, errors: new Map(), exitCodes: new Map(), slowestMs: 0, peakRssMb: 0 };
const failures = [];
let currentSeeds = new Set();

function countError(name) {
  stats.errors.set(name, (stats.errors.get(name) ?? 0) + 1);
}

function fail(kind, seed, detail) {
  if (failures.length < 20) failures.push(`${kind} (seed ${seed}): ${detail}`);
  if (args.verbose) err(`${kind} (seed ${seed}): ${detail}\n`);
}

process.on('uncaughtException', (error) => {
  stats.crashes += 1;
  fail('uncaught exception', [...currentSeeds].join('|'), error?.stack ?? String(error));
});
process.on('unhandledRejection', (error) => {
  stats.crashes += 1;
  fail('unhandled rejection', [...currentSeeds].join('|'), error?.stack ?? String(error));
});

/**
 * A message reported as sent must have been accepted by the server. The one exception
 * no client can catch: a surplus reply that reaches it in a later read, after it has
 * written the command the surplus then seems to answer (the server sent "354" and a
 * stray "250" in two writes). Those are counted apart; they are why a surplus that
 * arrives together with a reply is refused (see SmtpConnection.takeReplies).
 */
function judgeSent(seed, record) {
  if (record.accepted) return;
  if (record.surplus) {
    stats.surplusRaces += 1;
    if (args.verbose) err(`surplus race (seed ${seed}): a stray reply arrived after the command it was taken for\n`);
    return;
  }
  stats.falsePasses += 1;
  fail('false pass', seed, 'the message was reported sent but the server never accepted it');
}

async function runOne(seed) {
  const rng = prng(seed);
  const plan = clientPlan(rng);
  if (args.trace) err(`plan: ${JSON.stringify({ ...plan, body: plan.body.toString('latin1') })}\n`);
  const serverRng = prng(seed ^ 0x5bd1e995);
  const record = { accepted: false, surplus: false };
  const server = await startFakeServer((peer) => serve(peer, serverRng, record, plan.tlsMode === 'implicit'));
  currentSeeds.add(seed);
  const started = performance.now();
  let hangTimer;
  const hang = new Promise((resolve) => (hangTimer = setTimeout(() => resolve('hang'), HANG_MS)));
  try {
    const work = plan.flow.startsWith('core')
      ? coreSend(plan, server.port).then(
          (sent) => ({ sent }),
          (error) => ({ error }),
        )
      : cliCommand(plan, server.port).then(
          (code) => ({ code }),
          (error) => ({ error }),
        );
    const outcome = await Promise.race([work, hang]);
    const ms = performance.now() - started;
    stats.slowestMs = Math.max(stats.slowestMs, ms);
    stats.runs += 1;
    if (outcome === 'hang') {
      stats.hangs += 1;
      fail('hang', seed, `${plan.flow}, no outcome within ${HANG_MS} ms`);
      return;
    }
    if (outcome.error !== undefined) {
      if (outcome.error instanceof SmtpCheckError) countError(outcome.error.constructor.name);
      else {
        stats.crashes += 1;
        fail('crash', seed, `${plan.flow}: ${outcome.error?.stack ?? String(outcome.error)}`);
      }
      return;
    }
    if (outcome.code !== undefined) {
      stats.exitCodes.set(outcome.code, (stats.exitCodes.get(outcome.code) ?? 0) + 1);
      if (outcome.code === ExitCode.internal) {
        stats.crashes += 1;
        fail('crash', seed, `${plan.flow} exited 7 (internal error)`);
      }
      if (outcome.code === ExitCode.usage && args.verbose) err(`note (seed ${seed}): ${plan.flow} exited 1 (usage error)\n`);
      if (outcome.code === ExitCode.ok) stats.passes += 1;
      if (plan.flow === 'cli-send' && outcome.code === ExitCode.ok) judgeSent(seed, record);
      return;
    }
    if (outcome.sent) {
      stats.passes += 1;
      judgeSent(seed, record);
    }
  } finally {
    clearTimeout(hangTimer);
    currentSeeds.delete(seed);
    await server.close();
  }
}

const deadline = performance.now() + SECONDS * 1000;
let nextSeed = BASE_SEED;
const sampler = setInterval(() => {
  stats.peakRssMb = Math.max(stats.peakRssMb, process.memoryUsage().rss / 1024 / 1024);
}, 250);
await Promise.all(
  Array.from({ length: CONCURRENCY }, async () => {
    while (performance.now() < deadline) await runOne(nextSeed++);
  }),
);
clearInterval(sampler);

const errorSummary = [...stats.errors.entries()].sort((a, b) => b[1] - a[1]).map(([name, count]) => `${name} ${count}`).join(', ');
const exitSummary = [...stats.exitCodes.entries()].sort((a, b) => a[0] - b[0]).map(([code, count]) => `${code}:${count}`).join(' ');
const failed = stats.crashes + stats.hangs + stats.falsePasses;
out(
  `fuzz-client: ${SECONDS} s, ${stats.runs} runs (seeds ${BASE_SEED}..${nextSeed - 1}, concurrency ${CONCURRENCY}): ` +
    `${stats.passes} passes, typed errors [${errorSummary}], CLI exit codes [${exitSummary}]; ` +
    `${stats.crashes} crashes, ${stats.hangs} hangs, ${stats.falsePasses} false passes (${stats.surplusRaces} undetectable surplus-reply races); slowest run ${(stats.slowestMs / 1000).toFixed(2)} s, peak RSS ${stats.peakRssMb.toFixed(0)} MB\n`,
);
for (const failure of failures) err(`${failure}\n`);
process.exit(failed > 0 ? 1 : 0);
