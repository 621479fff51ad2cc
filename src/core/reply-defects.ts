/**
 * Bytes a reply line must not carry, found on the bytes as received (not on decoded
 * text, which has already lost them to \xNN or U+FFFD). Reply text is
 * `textstring = 1*(%d09 / %d32-126)` (RFC 5321 §4.2), extended to UTF-8 where
 * SMTPUTF8 is in use (RFC 6531): a NUL, another control character (a bare CR
 * inside a line included) or bytes that are not well-formed UTF-8 (RFC 3629 §4:
 * overlong forms, encoded surrogates, code points above U+10FFFF, a sequence cut
 * short, a lone continuation byte) are the server's fault, and a diagnostic tool says
 * so (issue 12). Nothing is decided on them: the reply is still read as sent.
 */
type ByteProblem = 'nul' | 'control' | 'invalid-utf8';

export interface ReplyByteDefect {
  /** The line of the reply, from 1. */
  line: number;
  /** Byte offset in the line as received, from 0 (the first digit of the code). */
  offset: number;
  problem: ByteProblem;
  /** How many bytes in a row have this problem. */
  length: number;
  /** The first MAX_SHOWN_BYTES of them, as lowercase hex ("c328"). */
  bytes: string;
}

export interface ReplyDefects {
  /** In the order they came, runs of one problem counted as one. */
  found: ReplyByteDefect[];
  /** Defects after the first MAX_LISTED_DEFECTS, only counted. */
  omitted: number;
}

// A hostile reply can hold 128 KiB of alternating bad and good bytes (MAX_REPLY_BYTES
// in reply-reader.ts): listing every one would cost more memory than the reply. A
// handful says what the server did wrong; the count says how much of it.
export const MAX_LISTED_DEFECTS = 8;
export const MAX_SHOWN_BYTES = 16;

const TAB = 0x09;
const DEL = 0x7f;

/**
 * Scans the lines of one reply as the reader frames them, and hands over what it
 * found when the reply is complete. Memory stays bounded by MAX_LISTED_DEFECTS.
 */
export class ReplyDefectCollector {
  private found: ReplyByteDefect[] = [];
  private omitted = 0;
  private line = 0;

  /** One line of the reply, without its line end. */
  scanLine(bytes: Uint8Array): void {
    this.line += 1;
    let run: ReplyByteDefect | null = null;
    let offset = 0;
    while (offset < bytes.length) {
      const byte = bytes[offset]!;
      let size = 1;
      let problem: ByteProblem | null = null;
      if (byte === 0) problem = 'nul';
      else if ((byte < 0x20 && byte !== TAB) || byte === DEL) problem = 'control';
      else if (byte >= 0x80) {
        size = utf8SequenceAt(bytes, offset) || 1;
        if (size === 1) problem = 'invalid-utf8';
      }
      if (problem === null) run = null;
      else if (run !== null && run.problem === problem) extend(run, bytes, offset, size);
      else run = this.record({ line: this.line, offset, problem, length: 0, bytes: '' }, bytes, size);
      offset += size;
    }
  }

  /** What the reply's lines held, or null for a clean reply; the collector starts over for the next reply. */
  take(): ReplyDefects | null {
    const result = this.found.length > 0 ? { found: this.found, omitted: this.omitted } : null;
    this.found = [];
    this.omitted = 0;
    this.line = 0;
    return result;
  }

  /** A new run, listed while there is room; past MAX_LISTED_DEFECTS a run is only counted. */
  private record(defect: ReplyByteDefect, bytes: Uint8Array, size: number): ReplyByteDefect {
    if (this.found.length >= MAX_LISTED_DEFECTS) {
      // Still followed, so that the rest of this run is not counted again.
      this.omitted += 1;
      return defect;
    }
    extend(defect, bytes, defect.offset, size);
    this.found.push(defect);
    return defect;
  }
}

function extend(run: ReplyByteDefect, bytes: Uint8Array, offset: number, size: number): void {
  const room = MAX_SHOWN_BYTES - run.length;
  if (room > 0) run.bytes += Buffer.from(bytes.subarray(offset, offset + Math.min(size, room))).toString('hex');
  run.length += size;
}

/**
 * The length of the well-formed UTF-8 sequence that starts at `at` (RFC 3629 §4, the
 * Unicode Standard's Table 3-7), or 0 when none does. An ill-formed byte is then one
 * byte of an invalid run, and so is each continuation byte after it: runs are what
 * the user is shown, so how a decoder would split them into errors does not matter.
 */
function utf8SequenceAt(bytes: Uint8Array, at: number): number {
  const lead = bytes[at]!;
  let continuations: number;
  // The range the second byte must be in: narrower after E0 (overlong), ED (surrogates), F0 (overlong) and F4 (above U+10FFFF).
  let low = 0x80;
  let high = 0xbf;
  if (lead >= 0xc2 && lead <= 0xdf) continuations = 1;
  else if (lead >= 0xe0 && lead <= 0xef) {
    continuations = 2;
    if (lead === 0xe0) low = 0xa0;
    if (lead === 0xed) high = 0x9f;
  } else if (lead >= 0xf0 && lead <= 0xf4) {
    continuations = 3;
    if (lead === 0xf0) low = 0x90;
    if (lead === 0xf4) high = 0x8f;
  } else {
    // A continuation byte with no lead, C0/C1 (only ever overlong), or F5-FF (beyond U+10FFFF).
    return 0;
  }
  for (let index = 1; index <= continuations; index++) {
    const next = bytes[at + index];
    if (next === undefined || next < low || next > high) return 0;
    low = 0x80;
    high = 0xbf;
  }
  return continuations + 1;
}
