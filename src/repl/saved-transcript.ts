import { Chalk } from 'chalk';
import type { TranscriptEvent } from '../core/transcript.js';
import { renderEvent } from '../render/text-transcript.js';

const PLAIN = new Chalk({ level: 0 });

/**
 * `:save`: the transcript as the screen showed it, without colour, with latencies.
 * With --show-secrets the live events hold decoded credentials; a file outlives the
 * screen, so every line that carried a credential is redacted again here.
 */
export function renderSavedTranscript(events: readonly TranscriptEvent[], options: { revealSecrets: boolean; title: string }): string {
  const lines = [`# ${options.title}`];
  for (const event of events) {
    const safe = options.revealSecrets && event.type === 'send' && event.redacted ? { ...event, text: redactSecretLine(event.text) } : event;
    lines.push(...renderEvent(safe, { palette: PLAIN, showTime: true }));
  }
  return `${lines.join('\n')}\n`;
}

/** "AUTH PLAIN AGpv…  [\0john\0…]" keeps its verb and mechanism; a bare SASL answer keeps nothing. */
export function redactSecretLine(text: string): string {
  const auth = /^(AUTH\s+\S+)/i.exec(text);
  return auth ? `${auth[1]} <redacted>` : '<redacted>';
}
