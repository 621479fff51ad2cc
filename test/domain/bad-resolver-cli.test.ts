import assert from 'node:assert/strict';
import dgram from 'node:dgram';
import { once } from 'node:events';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import dnsPacket from 'dns-packet';
import { ExitCode } from '../../src/outcome/exit-codes.js';
import { DEFAULT_DNS_ATTEMPTS, DEFAULT_DNS_TIMEOUT_MS, MAX_ANSWER_RECORDS } from '../../src/core/dns/resolver.js';
import { runCli } from '../e2e/postfix-lab.js';
import type { FakeDnsServer } from '../fakes/fake-dns-server.js';
import { reply, startFakeDnsServer } from '../fakes/fake-dns-server.js';

/**
 * The "bad input" of issue 14 that only a misbehaving resolver can produce, through the
 * real CLI: a scripted resolver on loopback answers the MX query of each domain in its
 * own wrong way. Each run ends with one line on stderr and exit 2, and the JSON names
 * the typed reason (docs/exit-codes.md, docs/json.md).
 */
const cname = (name: string, target: string): dnsPacket.Answer => ({ type: 'CNAME', name, ttl: 60, data: target });
const BEHAVIOUR: Record<string, (query: dnsPacket.DecodedPacket, transport: 'udp' | 'tcp') => ReturnType<typeof reply> | Buffer | null> = {
  'silent.test': () => null,
  'refusing.test': (query) => reply(query, [], { rcode: 5 }),
  'loop.test': (query) => reply(query, [cname('loop.test', 'back.loop.test'), cname('back.loop.test', 'loop.test')]),
  'huge.test': (query, transport) =>
    transport === 'udp' ? reply(query, [], { tc: true }) : reply(query, Array.from({ length: MAX_ANSWER_RECORDS + 1 }, (_, i) => ({ type: 'MX', name: 'huge.test', ttl: 60, data: { preference: i, exchange: `mx${i}.huge.test` } }) as dnsPacket.Answer)),
  'truncated.test': (query) => reply(query, [], { tc: true }),
  // The query's id and flags, then bytes that do not decode: an answer, but not DNS.
  'garbage.test': (query) => Buffer.concat([dnsPacket.encode(reply(query, [])).subarray(0, 4), Buffer.from([0xff, 0xff, 0, 0, 0, 0, 0, 0])]),
};

let resolver: FakeDnsServer;
let closedPort: number;
before(async () => {
  resolver = await startFakeDnsServer((query, transport) => {
    const behaviour = BEHAVIOUR[query.questions![0]!.name];
    return behaviour ? behaviour(query, transport) : reply(query, [], { rcode: 3 });
  });
  // A UDP port with nothing behind it: the kernel answers ICMP port unreachable.
  const socket = dgram.createSocket('udp4');
  socket.bind(0, '127.0.0.1');
  await once(socket, 'listening');
  closedPort = (socket.address() as AddressInfo).port;
  socket.close();
});
after(() => resolver.close());

async function failsWith(domain: string, reason: string, port = resolver.port): Promise<string> {
  const resolverFlag = `127.0.0.1:${port}`;
  const [text, json] = await Promise.all([
    runCli(['domain', domain, '--resolver', resolverFlag, '--only-addresses', '127.0.0.0/8'], { timeoutMs: 30_000 }),
    runCli(['domain', domain, '--resolver', resolverFlag, '--only-addresses', '127.0.0.0/8', '--json'], { timeoutMs: 30_000 }),
  ]);
  assert.equal(text.code, ExitCode.connect, text.stderr);
  assert.equal(text.stdout, '');
  const lines = text.stderr.trimEnd().split('\n');
  assert.equal(lines.length, 1, text.stderr);
  const parsed = JSON.parse(json.stdout) as { exitCode: number; error: { reason: string; step: string } };
  assert.equal(parsed.exitCode, ExitCode.connect);
  assert.deepEqual([parsed.error.reason, parsed.error.step], [reason, 'dns']);
  return lines[0]!;
}

describe('smtpcheck domain with a resolver that misbehaves: one line, exit 2, a typed reason', () => {
  it('a resolver that does not answer: named, with its timeout and tries', async () => {
    const line = await failsWith('silent.test', 'dns-timeout');
    assert.ok(line.includes(`resolver 127.0.0.1:${resolver.port} did not answer MX silent.test within ${DEFAULT_DNS_TIMEOUT_MS / 1000} s (${DEFAULT_DNS_ATTEMPTS} tries)`), line);
  });
  it('a resolver address where nothing listens', async () => {
    await failsWith('example.test', 'dns-unreachable', closedPort);
  });
  it('a resolver that refuses', async () => {
    await failsWith('refusing.test', 'dns-refused');
  });
  it('a CNAME loop', async () => {
    await failsWith('loop.test', 'dns-cname-loop');
  });
  it(`a huge answer (over ${MAX_ANSWER_RECORDS} records, fetched over TCP after truncation)`, async () => {
    await failsWith('huge.test', 'dns-oversized');
  });
  it('an answer still truncated over TCP', async () => {
    await failsWith('truncated.test', 'dns-truncated');
  });
  it('bytes that are not DNS', async () => {
    await failsWith('garbage.test', 'dns-malformed');
  });
});
