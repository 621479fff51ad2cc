/**
 * Turns message bytes into DATA content (RFC 5321 §4.5.2): every line ends in CRLF
 * (bare LF and bare CR become CRLF, so no stray line end can be read as end of data,
 * which is the SMTP smuggling hole), and a line starting with "." gets a second one.
 * Works chunk by chunk with constant memory, so a 1 GiB message streams through.
 */
export class DotStuffer {
  private atLineStart = true;
  private pendingCr = false;

  /**
   * @param stuffDots false for BDAT (RFC 3030), whose chunks are counted, not
   * dot-terminated, but must still carry canonical CRLF line ends.
   */
  constructor(private readonly stuffDots = true) {}

  transform(chunk: Buffer): Buffer {
    // Worst case every byte doubles ("." at line start, or a lone LF gaining a CR).
    const out = Buffer.allocUnsafe(chunk.length * 2 + 2);
    let length = 0;
    for (let index = 0; index < chunk.length; index += 1) {
      const byte = chunk[index]!;
      if (this.pendingCr) {
        this.pendingCr = false;
        out[length++] = 0x0d;
        out[length++] = 0x0a;
        this.atLineStart = true;
        if (byte === 0x0a) continue;
      }
      if (byte === 0x0d) {
        this.pendingCr = true;
        continue;
      }
      if (byte === 0x0a) {
        out[length++] = 0x0d;
        out[length++] = 0x0a;
        this.atLineStart = true;
        continue;
      }
      if (this.stuffDots && this.atLineStart && byte === 0x2e) out[length++] = 0x2e;
      out[length++] = byte;
      this.atLineStart = false;
    }
    return out.subarray(0, length);
  }

  /** The end-of-data marker (DATA) or just the final CRLF (BDAT), preceded by a CRLF if the message did not end with one. */
  finish(): Buffer {
    const missingLineEnd = this.pendingCr || !this.atLineStart;
    const tail = this.stuffDots ? (missingLineEnd ? '\r\n.\r\n' : '.\r\n') : missingLineEnd ? '\r\n' : '';
    this.pendingCr = false;
    this.atLineStart = true;
    return Buffer.from(tail, 'ascii');
  }
}

/** Reverse of DotStuffer for a complete DATA payload (without the final "."), used by tests and the lab. */
export function dotUnstuff(data: Buffer): Buffer {
  return Buffer.from(data.toString('latin1').replace(/(^|\r\n)\.\./g, '$1.'), 'latin1');
}
