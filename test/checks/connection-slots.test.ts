import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ConnectionSlots } from '../../src/checks/connection-slots.js';

describe('connection slots (src/checks/connection-slots.ts)', () => {
  it('a server that refuses one of four open connections is given three at a time from then on', async () => {
    const slots = new ConnectionSlots(8);
    for (let i = 0; i < 4; i += 1) await slots.acquire();
    slots.shrink();
    slots.release();
    assert.equal(slots.current, 3);
    let granted = false;
    void slots.acquire().then(() => (granted = true));
    await new Promise((resolve) => setImmediate(resolve));
    assert.equal(granted, false, 'three are still open');
    slots.release();
    await new Promise((resolve) => setImmediate(resolve));
    assert.equal(granted, true);
  });

  it('never shrinks below one connection', async () => {
    const slots = new ConnectionSlots(4);
    await slots.acquire();
    slots.shrink();
    slots.release();
    assert.equal(slots.current, 1);
    await slots.acquire();
  });

  it("a suite target's own slots shrink without slowing the other targets: the shared bound stays", async () => {
    const shared = new ConnectionSlots(4);
    const pushedBack = new ConnectionSlots(4, shared);
    const other = new ConnectionSlots(4, shared);
    await pushedBack.acquire();
    await pushedBack.acquire();
    pushedBack.shrink();
    pushedBack.release();
    assert.equal(pushedBack.current, 1);
    await other.acquire();
    await other.acquire();
    await other.acquire();
    let granted = false;
    void other.acquire().then(() => (granted = true));
    await new Promise((resolve) => setImmediate(resolve));
    assert.equal(granted, false, 'four are open in all: the shared bound');
    pushedBack.release();
    await new Promise((resolve) => setImmediate(resolve));
    assert.equal(granted, true);
    assert.equal(other.current, 4);
  });
});
