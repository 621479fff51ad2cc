import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { delayBeforeMs, scheduledStartMs } from '../../src/bench/rate-schedule.js';

describe('rate schedule', () => {
  it('starts message k at k/R seconds after the run began', () => {
    assert.equal(scheduledStartMs(0, 50), 0);
    assert.equal(scheduledStartMs(50, 50), 1000);
    assert.equal(scheduledStartMs(3, 4), 750);
  });

  it('waits only for messages that are early, and not at all without --rate', () => {
    assert.equal(delayBeforeMs(10, 100, 40), 60);
    assert.equal(delayBeforeMs(10, 100, 250), 0);
    assert.equal(delayBeforeMs(10_000, null, 0), 0);
  });

  it('does not drift: after a stall, late messages start at once until the schedule is met again', () => {
    // 10 per second; nothing could be sent for the first 2 s.
    const delays = [0, 5, 19, 20, 25].map((index) => delayBeforeMs(index, 10, 2000));
    assert.deepEqual(delays, [0, 0, 0, 0, 500]);
  });
});
