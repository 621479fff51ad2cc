import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { UsageError } from '../../src/core/errors.js';
import { decodeBase64Text, encodeBase64Text, unescapeText } from '../../src/repl/base64-text.js';

describe(':b64', () => {
  it("gives what printf '\\0john@example.org\\0summersun' | base64 gives (the relaying guide)", () => {
    assert.equal(encodeBase64Text('\\0john@example.org\\0summersun'), 'AGpvaG5AZXhhbXBsZS5vcmcAc3VtbWVyc3Vu');
  });

  it('understands the printf escapes \\0 \\n \\r \\t and \\\\', () => {
    assert.equal(unescapeText('a\\0b\\nc\\rd\\te\\\\0'), 'a\0b\nc\rd\te\\0');
  });

  it('decodes with NUL as \\0 and line ends escaped, so the result is one safe line', () => {
    assert.equal(decodeBase64Text('AGpvaG5AZXhhbXBsZS5vcmcAc3VtbWVyc3Vu'), '\\0john@example.org\\0summersun');
    assert.equal(decodeBase64Text(Buffer.from('a\nb\x1b[31m').toString('base64')), 'a\\nb\\x1b[31m');
  });

  it('refuses text that is not base64', () => {
    assert.throws(() => decodeBase64Text('not base64!'), UsageError);
    assert.throws(() => decodeBase64Text('abcde'), UsageError);
  });
});
