import { isAscii } from 'node:buffer';
import { ProtocolError } from './errors.js';
import type { Reply } from './reply.js';
import { parseEnhancedStatus } from './reply.js';
import { ReplyDefectCollector } from './reply-defects.js';

// RFC 5321 §4.5.3.1.5 allows 512 octets per reply line. Real servers stay well within
// it, but some put long policy texts in 5xx replies: be generous, but bounded, so a
// server streaming bytes without a line end cannot make us buffer without limit.
export const MAX_REPLY_LINE = 8192;
// A multi-line reply is usually EHLO (a dozen lines) or HELP. No honest reply has
// thousands of lines; a hostile one could have millions.
export const MAX_REPLY_LINES = 1000;
// Both limits at once would let one reply hold 8 MB, and sixteen probes at once 130 MB
// (issue 12). The longest honest replies (EHLO, HELP, a policy text) stay under 8 KB;
// 128 KiB (MAX_REPLY_LINES lines of 128 bytes) bounds the replies of a whole run's 16
// sessions to 2 MiB.
export const MAX_REPLY_BYTES = 131_072;

const LF = 0x0a;
const CR = 0x0d;
const REPLY_CODE = /^[2-5][0-9][0-9]$/;

/**
 * Frames replies off a byte stream (RFC 5321 §4.2): a reply ends at the first line
 * whose fourth character is a space (or that is only a code), and every line carries
 * the same code (§4.2.1). Reading one line per command instead desynchronises every
 * later verdict, which is how nmap's smtp-enum-users reports every user as valid.
 *
 * Lines end in CRLF; a bare LF is accepted as a line end too, since refusing it
 * would only hide the server's real answer from the user.
 */
export class ReplyReader {
  private partial: Buffer[] = [];
  private partialLength = 0;
  private linesInProgress: { code: number; text: string; raw: string }[] = [];
  /** Bytes of the reply being framed, line ends included: MAX_REPLY_BYTES bounds it. */
  private bytesInProgress = 0;
  private readonly ready: Reply[] = [];
  private readonly defects = new ReplyDefectCollector();
  private failure: ProtocolError | null = null;

  /** Feed bytes from the socket. Throws ProtocolError on malformed or oversized input. */
  push(chunk: Buffer): void {
    if (this.failure) throw this.failure;
    try {
      let start = 0;
      while (start < chunk.length) {
        const lf = chunk.indexOf(LF, start);
        if (lf === -1) {
          this.appendPartial(chunk.subarray(start));
          break;
        }
        let lineBytes: Buffer;
        if (this.partialLength === 0) {
          // The usual case: the whole line is in this chunk, no copy needed.
          lineBytes = chunk.subarray(start, lf);
          if (lineBytes.length > MAX_REPLY_LINE) this.appendPartial(lineBytes);
        } else {
          this.appendPartial(chunk.subarray(start, lf));
          lineBytes = Buffer.concat(this.partial, this.partialLength);
          this.partial = [];
          this.partialLength = 0;
        }
        const end = lineBytes.length > 0 && lineBytes[lineBytes.length - 1] === CR ? lineBytes.length - 1 : lineBytes.length;
        const content = lineBytes.subarray(0, end);
        this.acceptLine(decodeLine(content), content);
        start = lf + 1;
      }
    } catch (error) {
      if (error instanceof ProtocolError) this.failure = error;
      throw error;
    }
  }

  /** The oldest complete reply, if any. */
  shift(): Reply | undefined {
    return this.ready.shift();
  }

  /** True when anything arrived beyond the replies already taken: used to detect STARTTLS response injection. */
  hasUnconsumedInput(): boolean {
    return this.ready.length > 0 || this.linesInProgress.length > 0 || this.partialLength > 0;
  }

  /** Bytes and replies not yet taken, for the injection error message. */
  unconsumedByteCount(): number {
    let count = this.partialLength;
    for (const line of this.linesInProgress) count += Buffer.byteLength(line.raw) + 2;
    for (const reply of this.ready) for (const raw of reply.raw) count += Buffer.byteLength(raw) + 2;
    return count;
  }

  private appendPartial(bytes: Buffer): void {
    if (bytes.length === 0) return;
    this.partialLength += bytes.length;
    if (this.partialLength > MAX_REPLY_LINE) {
      throw new ProtocolError('command', 'oversized-reply', `server sent a reply line longer than ${MAX_REPLY_LINE} bytes without a line end`);
    }
    this.partial.push(bytes);
  }

  private acceptLine(raw: string, bytes: Buffer): void {
    const codeText = raw.slice(0, 3);
    const separator = raw.charAt(3);
    if (!REPLY_CODE.test(codeText) || (separator !== '' && separator !== ' ' && separator !== '-')) {
      throw new ProtocolError('command', 'malformed-reply', `malformed reply line from server: ${JSON.stringify(truncate(raw))}`);
    }
    const code = Number(codeText);
    const previous = this.linesInProgress[0];
    if (previous && previous.code !== code) {
      throw new ProtocolError('command', 'malformed-reply', `server mixed reply codes ${previous.code} and ${code} in one multi-line reply (RFC 5321 §4.2.1 requires one code)`);
    }
    if (this.linesInProgress.length >= MAX_REPLY_LINES) {
      throw new ProtocolError('command', 'oversized-reply', `server sent a reply of more than ${MAX_REPLY_LINES} lines`);
    }
    this.bytesInProgress += raw.length + 2;
    if (this.bytesInProgress > MAX_REPLY_BYTES) {
      throw new ProtocolError('command', 'oversized-reply', `server sent a reply of more than ${MAX_REPLY_BYTES} bytes`);
    }
    this.linesInProgress.push({ code, text: raw.slice(4), raw });
    this.defects.scanLine(bytes);
    if (separator === '-') return;
    const lines = this.linesInProgress.map((line) => line.text);
    const defects = this.defects.take();
    this.ready.push({
      code,
      enhanced: parseEnhancedStatus(lines[0] ?? ''),
      lines,
      raw: this.linesInProgress.map((line) => line.raw),
      ...(defects ? { defects } : {}),
    });
    this.linesInProgress = [];
    this.bytesInProgress = 0;
  }
}

const strictUtf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

/**
 * Reply text is ASCII, or UTF-8 where SMTPUTF8 is in use (RFC 6531). A line that is
 * not valid UTF-8 keeps its high bytes visible as \xNN rather than turning them into
 * U+FFFD, so the user sees what the server actually sent (control characters are
 * escaped where text is shown, and the reply's defects say which bytes were wrong).
 */
function decodeLine(bytes: Buffer): string {
  // Nearly every reply is ASCII: skip the UTF-8 validation (a third of the reader's time).
  if (isAscii(bytes)) return bytes.toString('latin1');
  try {
    return strictUtf8.decode(bytes);
  } catch {
    return bytes.toString('latin1').replace(/[\x80-\xff]/g, (char) => `\\x${char.charCodeAt(0).toString(16)}`);
  }
}

function truncate(text: string): string {
  return text.length > 80 ? `${text.slice(0, 80)}…` : text;
}
