import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { LineQueue } from '../../src/repl/line-queue.js';

describe('the line queue', () => {
  it('hands out pasted lines in order to whoever asks next', async () => {
    const queue = new LineQueue();
    queue.push({ kind: 'line', text: ':data' });
    queue.push({ kind: 'line', text: 'Subject: x' });
    assert.equal(queue.pending, 2);
    assert.deepEqual(await queue.next(), { kind: 'line', text: ':data' });
    assert.deepEqual(await queue.next(), { kind: 'line', text: 'Subject: x' });
  });

  it('wakes a waiting reader when a line arrives', async () => {
    const queue = new LineQueue();
    const next = queue.next();
    queue.push({ kind: 'line', text: 'NOOP' });
    assert.deepEqual(await next, { kind: 'line', text: 'NOOP' });
  });

  it('keeps answering "end" once the input ended, and drops what comes after', async () => {
    const queue = new LineQueue();
    queue.push({ kind: 'end' });
    queue.push({ kind: 'line', text: 'late' });
    assert.deepEqual(await queue.next(), { kind: 'end' });
    assert.deepEqual(await queue.next(), { kind: 'end' });
  });
});
