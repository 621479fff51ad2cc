import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { terminalSafe } from '../../src/render/terminal-safe.js';
import type { Reply } from '../../src/core/reply.js';
import { printable } from '../../src/render/printable.js';
import { renderEvent } from '../../src/render/text-transcript.js';
import { Chalk } from 'chalk';

/** Bidirectional and other format controls in server text must not reorder what the user reads (CVE-2021-42574 class). */
const BIDI = 'mail.example.org \u202eevil\u202c \u2066x\u2069 \u200e\u200f\u061c\u200b\ufeff\u2028';

describe('Unicode format controls in server text', () => {
  it('printable shows every one as \\uNNNN and keeps the rest', () => {
    const shown = printable(BIDI);
    assert.equal(shown, 'mail.example.org \\u202eevil\\u202c \\u2066x\\u2069 \\u200e\\u200f\\u061c\\u200b\\ufeff\\u2028');
    assert.equal(printable(shown), shown, 'escaping twice changes nothing');
    assert.equal(printable('Grüße, 日本'), 'Grüße, 日本');
  });

  it('the output guard escapes them too, coloured or not', () => {
    for (const coloured of [true, false]) assert.ok(!/[\u202a-\u202e\u2066-\u2069]/.test(terminalSafe(BIDI, coloured)));
  });

  it('a greeting with a right-to-left override is shown escaped in the transcript', () => {
    const reply: Reply = { code: 220, enhanced: null, lines: [BIDI], raw: [`220 ${BIDI}`] };
    const lines = renderEvent({ type: 'receive', at: 0, step: 'greeting', reply, tls: false, latencyMs: 1 }, { palette: new Chalk({ level: 0 }) });
    assert.ok(lines.some((line) => line.includes('\\u202eevil')), lines.join('\n'));
    assert.ok(!lines.some((line) => /[\u202a-\u202e]/.test(line)));
  });
});
