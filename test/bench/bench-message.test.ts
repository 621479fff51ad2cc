import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { benchMessages } from '../../src/bench/bench-message.js';
import { DotStuffer } from '../../src/core/dot-stuffing.js';
import { UsageError } from '../../src/core/errors.js';

const spec = { from: 'load@example.org', to: ['john@example.org'], count: 1000, domain: 'bench.example' };
const bytesOf = (chunks: Iterable<Buffer>) => Buffer.concat([...chunks]);

describe('bench messages', () => {
  it('are exactly --size octets, headers included, for every message number', () => {
    for (const size of [300, 301, 302, 1024, 65_536, 65_537, 200_000, 1_000_003]) {
      const messages = benchMessages({ ...spec, size });
      for (const index of [0, 7, 999]) assert.equal(bytesOf(messages.chunks(index)).length, size, `size ${size}, message ${index}`);
    }
  });

  it('are already in wire form: the dot-stuffer passes them through unchanged', () => {
    for (const size of [1024, 150_001]) {
      const message = bytesOf(benchMessages({ ...spec, size }).chunks(3));
      const stuffer = new DotStuffer();
      assert.ok(stuffer.transform(message).equals(message));
      assert.equal(stuffer.finish().toString(), '.\r\n');
    }
  });

  it('carry the envelope addresses in the headers and a Message-ID unique to the message', () => {
    const messages = benchMessages({ ...spec, size: 2000 });
    const first = bytesOf(messages.chunks(1)).toString();
    const second = bytesOf(messages.chunks(2)).toString();
    assert.match(first, /^From: load@example\.org\r\nTo: john@example\.org\r\n/);
    assert.match(first, /\r\nMessage-ID: <bench-[0-9a-f]{8}-001@bench\.example>\r\n/);
    assert.notEqual(/Message-ID: (.*)/.exec(first)![1], /Message-ID: (.*)/.exec(second)![1]);
  });

  it('send a large message as one block repeated, never copied', () => {
    const chunks = [...benchMessages({ ...spec, size: 10_000_000 }).chunks(0)];
    const blocks = new Set(chunks.slice(1, -2).map((chunk) => chunk.buffer));
    assert.equal(blocks.size, 1);
  });

  it('refuse a size smaller than the headers, saying which size would do', () => {
    assert.throws(() => benchMessages({ ...spec, size: 100 }), (error: unknown) => error instanceof UsageError && /--size 100 is smaller than the headers/.test(error.message) && /give --size \d+ or more/.test(error.hint ?? ''));
  });
});
