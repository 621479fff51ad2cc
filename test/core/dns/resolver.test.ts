import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import dnsPacket from 'dns-packet';
import { DnsResolver, MAX_ANSWER_RECORDS, MAX_CNAME_CHAIN } from '../../../src/core/dns/resolver.js';
import { DnsError } from '../../../src/core/errors.js';
import type { DnsScript, FakeDnsServer } from '../../fakes/fake-dns-server.js';
import { reply, startFakeDnsServer } from '../../fakes/fake-dns-server.js';

const servers: FakeDnsServer[] = [];
after(async () => Promise.all(servers.map((server) => server.close())));

async function fake(script: DnsScript): Promise<FakeDnsServer> {
  const server = await startFakeDnsServer(script);
  servers.push(server);
  return server;
}

const resolverFor = (...fakes: FakeDnsServer[]): DnsResolver => new DnsResolver({ resolvers: fakes.map((server) => ({ host: '127.0.0.1', port: server.port })), timeoutMs: 200, attempts: 2 });

const mx = (name: string, preference: number, exchange: string): dnsPacket.Answer => ({ type: 'MX', name, ttl: 60, data: { preference, exchange } });
const a = (name: string, address: string): dnsPacket.Answer => ({ type: 'A', name, ttl: 60, data: address });
const cname = (name: string, target: string): dnsPacket.Answer => ({ type: 'CNAME', name, ttl: 60, data: target });

async function rejectsWith(promise: Promise<unknown>, reason: DnsError['reason'], message?: RegExp): Promise<void> {
  await assert.rejects(promise, (error: unknown) => {
    assert.ok(error instanceof DnsError, `expected a DnsError, got ${String(error)}`);
    assert.equal(error.reason, reason);
    assert.equal(error.step, 'dns');
    if (message) assert.match(error.message, message);
    return true;
  });
}

describe('DnsResolver: answers', () => {
  it('asks with RD, AD and the DO bit, and reports AD from the answer as authenticated', async () => {
    const server = await fake((query) => reply(query, [mx('example.test', 10, 'mx1.example.test'), mx('example.test', 20, 'mx2.example.test')], { ad: true }));
    const answer = await resolverFor(server).lookup('Example.TEST.', 'MX');
    assert.equal(answer.status, 'records');
    assert.equal(answer.authenticated, true);
    assert.deepEqual(answer.records, [
      { preference: 10, exchange: 'mx1.example.test' },
      { preference: 20, exchange: 'mx2.example.test' },
    ]);
    const { query } = server.queries[0]!;
    assert.equal(query.flag_rd, true);
    const opt = query.additionals?.find((record) => record.type === 'OPT') as dnsPacket.OptAnswer | undefined;
    assert.equal(opt?.flag_do, true, 'the DO bit asks for DNSSEC records (RFC 3225)');
  });

  it('an answer without AD is not authenticated', async () => {
    const server = await fake((query) => reply(query, [a('mx.example.test', '192.0.2.1')]));
    const answer = await resolverFor(server).lookup('mx.example.test', 'A');
    assert.equal(answer.authenticated, false);
    assert.deepEqual(answer.records, ['192.0.2.1']);
  });

  it('NXDOMAIN and NODATA are answers, told apart', async () => {
    const server = await fake((query) => reply(query, [], { rcode: query.questions![0]!.name.startsWith('gone') ? 3 : 0, ad: true }));
    const resolver = resolverFor(server);
    const gone = await resolver.lookup('gone.example.test', 'MX');
    assert.equal(gone.status, 'nxdomain');
    const empty = await resolver.lookup('there.example.test', 'MX');
    assert.equal(empty.status, 'nodata');
    assert.equal(empty.authenticated, true);
  });

  it('TXT character-strings of one record are concatenated (RFC 8461 §3.1)', async () => {
    const server = await fake((query) => reply(query, [{ type: 'TXT', name: '_mta-sts.example.test', ttl: 60, data: ['v=STSv1; ', 'id=2024'] }]));
    const answer = await resolverFor(server).lookup('_mta-sts.example.test', 'TXT');
    assert.deepEqual(answer.records, ['v=STSv1; id=2024']);
  });

  it('a stray datagram with another id is ignored, the real answer taken', async () => {
    const server = await fake((query) => {
      const spoofed = { ...reply(query, [a('mx.example.test', '203.0.113.66')]), id: (query.id! + 1) % 0x10000 };
      return [spoofed, reply(query, [a('mx.example.test', '192.0.2.1')])];
    });
    assert.deepEqual((await resolverFor(server).lookup('mx.example.test', 'A')).records, ['192.0.2.1']);
  });
});

describe('DnsResolver: transport', () => {
  it('a truncated UDP answer is asked again over TCP (RFC 7766)', async () => {
    const server = await fake((query, transport) => (transport === 'udp' ? reply(query, [], { tc: true }) : reply(query, [a('big.example.test', '192.0.2.7')], { ad: true })));
    const answer = await resolverFor(server).lookup('big.example.test', 'A');
    assert.deepEqual(answer.records, ['192.0.2.7']);
    assert.equal(answer.transport, 'tcp');
    assert.deepEqual(server.queries.map((query) => query.transport), ['udp', 'tcp']);
  });

  it('still truncated over TCP is dns-truncated', async () => {
    const server = await fake((query) => reply(query, [], { tc: true }));
    await rejectsWith(resolverFor(server).lookup('big.example.test', 'A'), 'dns-truncated');
  });

  it('a silent resolver is dns-timeout after its retries, naming the resolver and the wait', async () => {
    const server = await fake(() => null);
    await rejectsWith(resolverFor(server).lookup('example.test', 'MX'), 'dns-timeout', new RegExp(`127\\.0\\.0\\.1:${server.port} did not answer MX example\\.test within 0\\.2 s \\(2 tries\\)`));
    assert.equal(server.queries.length, 2);
  });

  it('a silent first resolver hands over to the next', async () => {
    const silent = await fake(() => null);
    const good = await fake((query) => reply(query, [a('mx.example.test', '192.0.2.1')]));
    assert.deepEqual((await resolverFor(silent, good).lookup('mx.example.test', 'A')).records, ['192.0.2.1']);
  });
});

describe('DnsResolver: failures are typed', () => {
  it('SERVFAIL is dns-servfail and final: the next resolver is not asked (bogus must not become unsigned)', async () => {
    const failing = await fake((query) => reply(query, [], { rcode: 2 }));
    const other = await fake((query) => reply(query, [a('mx.example.test', '192.0.2.1')]));
    await rejectsWith(resolverFor(failing, other).lookup('mx.example.test', 'A'), 'dns-servfail', /SERVFAIL/);
    assert.equal(other.queries.length, 0);
  });

  it('REFUSED is dns-refused when no resolver answers', async () => {
    const server = await fake((query) => reply(query, [], { rcode: 5 }));
    await rejectsWith(resolverFor(server).lookup('example.test', 'MX'), 'dns-refused', /REFUSED/);
  });

  it('REFUSED from the first resolver moves on to the next', async () => {
    const refusing = await fake((query) => reply(query, [], { rcode: 5 }));
    const good = await fake((query) => reply(query, [a('mx.example.test', '192.0.2.1')]));
    assert.equal((await resolverFor(refusing, good).lookup('mx.example.test', 'A')).status, 'records');
  });

  it('an answer to another question is dns-malformed', async () => {
    const server = await fake((query) => ({ ...reply(query, []), questions: [{ name: 'other.test', type: 'A', class: 'IN' }] }));
    await rejectsWith(resolverFor(server).lookup('example.test', 'A'), 'dns-malformed');
  });

  it('bytes that are not DNS are dns-malformed', async () => {
    const server = await fake((query) => Buffer.concat([dnsPacket.encode(reply(query, [])).subarray(0, 4), Buffer.from([0xff, 0xff, 0, 0, 0, 0, 0, 0])]));
    await rejectsWith(resolverFor(server).lookup('example.test', 'A'), 'dns-malformed');
  });

  it(`more than ${MAX_ANSWER_RECORDS} records is dns-oversized`, async () => {
    const records = Array.from({ length: MAX_ANSWER_RECORDS + 1 }, (_, i) => mx('huge.example.test', i, `mx${i}.huge.example.test`));
    const server = await fake((query, transport) => (transport === 'udp' ? reply(query, [], { tc: true }) : reply(query, records)));
    await rejectsWith(resolverFor(server).lookup('huge.example.test', 'MX'), 'dns-oversized', new RegExp(`${MAX_ANSWER_RECORDS + 1} records`));
  });
});

describe('DnsResolver: CNAME chains', () => {
  it('follows a chain to the records and names every step', async () => {
    const server = await fake((query) => reply(query, [cname('mx.example.test', 'a.example.test'), cname('a.example.test', 'b.example.test'), a('b.example.test', '192.0.2.9')], { ad: true }));
    const answer = await resolverFor(server).lookup('mx.example.test', 'A');
    assert.deepEqual(answer.cnames, ['a.example.test', 'b.example.test']);
    assert.deepEqual(answer.records, ['192.0.2.9']);
  });

  it('a chain that ends without records is NODATA for its last name', async () => {
    const server = await fake((query) => reply(query, [cname('mx.example.test', 'a.example.test')]));
    const answer = await resolverFor(server).lookup('mx.example.test', 'A');
    assert.equal(answer.status, 'nodata');
    assert.deepEqual(answer.cnames, ['a.example.test']);
  });

  it('a loop is dns-cname-loop', async () => {
    const server = await fake((query) => reply(query, [cname('loop.example.test', 'back.example.test'), cname('back.example.test', 'loop.example.test')]));
    await rejectsWith(resolverFor(server).lookup('loop.example.test', 'A'), 'dns-cname-loop', /loops back to loop\.example\.test/);
  });

  it(`a chain longer than ${MAX_CNAME_CHAIN} names is dns-cname-loop`, async () => {
    const chain = Array.from({ length: MAX_CNAME_CHAIN + 1 }, (_, i) => cname(`c${i}.example.test`, `c${i + 1}.example.test`));
    const server = await fake((query) => reply(query, chain));
    await rejectsWith(resolverFor(server).lookup('c0.example.test', 'A'), 'dns-cname-loop', /longer than/);
  });
});
