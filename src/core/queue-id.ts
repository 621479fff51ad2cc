import type { Reply } from './reply.js';

// Postfix: "250 2.0.0 Ok: queued as 4Xyz1234AB"; Exim: "250 OK id=1tXyZa-000123-AB";
// Sendmail: "250 2.0.0 4B7LNxHx012345 Message accepted for delivery". Only the first two
// name the id unambiguously; a bare token is not guessed at.
const QUEUE_ID_FORMS = [/\bqueued as ([A-Za-z0-9]+)/i, /\bid=([A-Za-z0-9-]+)/];

/** The queue id a server gave in its reply to the end of data, or null when it names none. */
export function queueIdOf(reply: Reply): string | null {
  const text = reply.lines.join(' ');
  for (const form of QUEUE_ID_FORMS) {
    const id = form.exec(text)?.[1];
    if (id) return id;
  }
  return null;
}
