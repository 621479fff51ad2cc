import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { TranscriptEvent } from '../../src/core/transcript.js';
import { redactSecretLine, renderSavedTranscript } from '../../src/repl/saved-transcript.js';

const reply = { code: 235, enhanced: null, lines: ['2.7.0 Authentication successful'], raw: ['235 2.7.0 Authentication successful'] };
const events = (authText: string): TranscriptEvent[] => [
  { type: 'send', at: 0, step: 'ehlo', text: 'EHLO x.example', tls: true, redacted: false },
  { type: 'send', at: 0, step: 'auth', text: authText, tls: true, redacted: true },
  { type: 'receive', at: 0, step: 'auth', reply, tls: true, latencyMs: 3 },
];

describe(':save', () => {
  it('writes the transcript as shown, without colour, with latencies', () => {
    const text = renderSavedTranscript(events('AUTH PLAIN <credentials for john@example.org>'), { revealSecrets: false, title: 'test' });
    assert.equal(text.split('\n')[0], '# test');
    assert.match(text, /^ ~> EHLO x\.example$/m);
    assert.match(text, /^ ~> AUTH PLAIN <credentials for john@example\.org>/m);
    assert.match(text, /^<~ {2}235 2\.7\.0 Authentication successful {2}\(3 ms\)$/m);
    assert.doesNotMatch(text, /\x1b\[/);
  });

  it('redacts credentials again when --show-secrets put them in the live transcript', () => {
    const text = renderSavedTranscript(events('AUTH PLAIN AGpvaG5AZXhhbXBsZS5vcmcAc3VtbWVyc3Vu  [\\0john@example.org\\0summersun]'), { revealSecrets: true, title: 'test' });
    assert.match(text, /AUTH PLAIN <redacted>/);
    assert.doesNotMatch(text, /summersun|AGpvaG5A/);
  });

  it('keeps the verb and mechanism of an AUTH line, nothing of a bare SASL answer', () => {
    assert.equal(redactSecretLine('AUTH LOGIN am9obg=='), 'AUTH LOGIN <redacted>');
    assert.equal(redactSecretLine('c3VtbWVyc3Vu  [summersun]'), '<redacted>');
  });
});
