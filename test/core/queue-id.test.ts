import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { queueIdOf } from '../../src/core/queue-id.js';
import type { Reply } from '../../src/core/reply.js';
import { parseEnhancedStatus } from '../../src/core/reply.js';

const reply = (code: number, ...lines: string[]): Reply => ({ code, enhanced: parseEnhancedStatus(lines[0]!), lines, raw: lines.map((line) => `${code} ${line}`) });

describe('queueIdOf: the queue id in the reply to the end of a message', () => {
  it('reads Postfix\'s "queued as", after DATA and after BDAT', () => {
    assert.equal(queueIdOf(reply(250, '2.0.0 Ok: queued as 4XyZ1234AB')), '4XyZ1234AB');
    assert.equal(queueIdOf(reply(250, '2.0.0 Ok: 2048 bytes queued as 3F2A1B')), '3F2A1B');
  });

  it('reads Exim\'s "id=", the 4.96 form and the longer 4.97 one, without enhanced code', () => {
    assert.equal(queueIdOf(reply(250, 'OK id=1tXyZa-000123-AB')), '1tXyZa-000123-AB');
    assert.equal(queueIdOf(reply(250, 'OK id=1rBNUr-00000003Dx-0h')), '1rBNUr-00000003Dx-0h');
  });

  it('finds none where the server names none, and does not take Exchange\'s InternalId for one', () => {
    assert.equal(queueIdOf(reply(250, '2.0.0 OK  1700000000 x1-20020a05gsmtp')), null);
    assert.equal(queueIdOf(reply(250, '2.6.0 <abc@example.org> [InternalId=123456789, Hostname=EX1] Queued mail for delivery')), null);
  });
});
