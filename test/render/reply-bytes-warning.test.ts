import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Chalk } from 'chalk';
import type { WarnEvent } from '../../src/core/transcript.js';
import { renderEvent } from '../../src/render/text-transcript.js';
import { warningText } from '../../src/render/warning-text.js';

const event = (step: 'greeting' | 'ehlo' | 'command', found: { line: number; offset: number; problem: 'nul' | 'control' | 'invalid-utf8'; length: number; bytes: string }[], omitted = 0): WarnEvent => ({
  type: 'warn',
  at: 0,
  kind: 'reply-bytes',
  step,
  code: 250,
  defects: { found, omitted },
});

describe('the warning about bytes a reply may not carry', () => {
  it('names the step, the code, and each defect by line, offset and bytes', () => {
    const text = warningText(
      event('ehlo', [
        { line: 3, offset: 12, problem: 'nul', length: 1, bytes: '00' },
        { line: 3, offset: 20, problem: 'invalid-utf8', length: 1, bytes: 'c3' },
        { line: 5, offset: 4, problem: 'control', length: 1, bytes: '1b' },
      ]),
    );
    assert.equal(text, 'the reply to EHLO (250) has bytes that are not reply text: line 3: NUL byte at offset 12, invalid UTF-8 (0xC3) at offset 20; line 5: control byte 0x1B at offset 4');
  });

  it('counts runs, marks bytes that were not kept, and says how many defects were left out', () => {
    const text = warningText(
      event(
        'greeting',
        [
          { line: 1, offset: 4, problem: 'nul', length: 3, bytes: '000000' },
          { line: 1, offset: 9, problem: 'invalid-utf8', length: 40, bytes: 'ff'.repeat(16) },
        ],
        7,
      ),
    );
    assert.match(text, /^the greeting \(250\) has bytes that are not reply text: line 1: 3 NUL bytes at offset 4, invalid UTF-8 \((0xFF ){15}0xFF … \(40 bytes\)\) at offset 9; 7 more$/);
  });

  it('a plain warning is its message', () => {
    assert.equal(warningText({ type: 'warn', at: 0, message: 'server does not offer DSN' }), 'server does not offer DSN');
  });

  it('the transcript shows it as one *** line', () => {
    const lines = renderEvent(event('command', [{ line: 1, offset: 4, problem: 'nul', length: 1, bytes: '00' }]), { palette: new Chalk({ level: 0 }) });
    assert.deepEqual(lines, ['*** a reply (250) has bytes that are not reply text: line 1: NUL byte at offset 4']);
  });
});
