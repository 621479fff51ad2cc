import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { mergeNotes, parseShard, shardFromEnvironment, shardSlice, ShardError } from '../../src/checks/shard.js';

describe('shards', () => {
  it('slices are deterministic, balanced and together hold every target once', () => {
    const items = Array.from({ length: 200 }, (_, index) => `t${index}`);
    const slices = Array.from({ length: 8 }, (_, index) => shardSlice(items, { index: index + 1, total: 8, source: '--shard' }).map(({ item }) => item));
    assert.deepEqual(slices.flat().sort(), [...items].sort());
    assert.deepEqual(new Set(slices.map((slice) => slice.length)), new Set([25]));
    const uneven = Array.from({ length: 3 }, (_, index) => shardSlice(items.slice(0, 10), { index: index + 1, total: 3, source: '--shard' }).length);
    assert.deepEqual(uneven, [4, 3, 3]);
  });

  it('reads GitLab (1-based) and Kubernetes indexed Jobs (0-based, total from --shard-total)', () => {
    assert.deepEqual(shardFromEnvironment({ CI_NODE_INDEX: '3', CI_NODE_TOTAL: '8' }), { index: 3, total: 8, source: 'CI_NODE_INDEX/CI_NODE_TOTAL' });
    assert.deepEqual(shardFromEnvironment({ JOB_COMPLETION_INDEX: '0' }, '4'), { index: 1, total: 4, source: 'JOB_COMPLETION_INDEX/--shard-total' });
    assert.equal(shardFromEnvironment({}), null);
  });

  for (const [name, attempt] of [
    ['index above total', () => parseShard('9/8')],
    ['zero', () => parseShard('0/8')],
    ['not I/N', () => parseShard('3')],
    ['Kubernetes without a total', () => shardFromEnvironment({ JOB_COMPLETION_INDEX: '2' })],
    ['a total without Kubernetes', () => shardFromEnvironment({}, '4')],
    ['a non-number index', () => shardFromEnvironment({ CI_NODE_INDEX: 'x', CI_NODE_TOTAL: '2' })],
  ] as const) {
    it(`refuses ${name}`, () => assert.throws(attempt, ShardError));
  }

  it('a merge names what the runs differ in, and the shards missing or given twice', () => {
    assert.deepEqual(mergeNotes([['server', ['a:25', 'a:25']]], [{ index: 1, total: 3 }, { index: 2, total: 3 }, { index: 3, total: 3 }]), []);
    assert.deepEqual(mergeNotes([['server', ['a:25', 'b:25']]], [{ index: 1, total: 4 }, { index: 1, total: 4 }, { index: 3, total: 4 }]), [
      'the runs differ in server: "a:25", "b:25"',
      'shards missing: 2/4, 4/4; what they ran is not in this report',
      'a shard is given more than once',
    ]);
  });
});
