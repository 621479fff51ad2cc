import { randomBytes } from 'node:crypto';
import { UsageError } from '../core/errors.js';

/**
 * The messages `smtpcheck bench` sends: exactly --size octets each, headers
 * included, already in wire form (CRLF lines, none starting with "."), so what is
 * counted is what crosses the wire before the end-of-data marker, and the body of a
 * 1 GiB message is one 64 KiB block sent again and again: memory stays flat.
 */
export interface BenchMessageSpec {
  from: string;
  to: string[];
  size: number;
  /** Number of messages in the run: message numbers are padded to its width, so every message has the same size. */
  count: number;
  /** Host part of the Message-ID. */
  domain: string;
}

export interface BenchMessages {
  /** Octets of every message. */
  readonly size: number;
  /** The chunks of message number `index` (0-based). */
  chunks(index: number): Buffer[] | Iterable<Buffer>;
}

const FILLER_LINE = `${'smtpcheck bench filler '.padEnd(78, 'x')}\r\n`;
const BLOCK_LINES = Math.floor(65_536 / FILLER_LINE.length);
// Below this the message goes out in one write; above it, in blocks that are never copied.
const SINGLE_WRITE_LIMIT = 65_536;

export function benchMessages(spec: BenchMessageSpec, now = new Date()): BenchMessages {
  const runId = randomBytes(4).toString('hex');
  const width = String(Math.max(spec.count - 1, 0)).length;
  const date = now.toUTCString().replace('GMT', '+0000');
  const header = (index: number) => {
    const number = String(index).padStart(width, '0');
    return Buffer.from(
      `From: ${spec.from === '' ? 'MAILER-DAEMON' : spec.from}\r\nTo: ${spec.to.join(', ')}\r\nSubject: smtpcheck bench ${number}\r\nDate: ${date}\r\nMessage-ID: <bench-${runId}-${number}@${spec.domain}>\r\nMIME-Version: 1.0\r\nContent-Type: text/plain; charset=us-ascii\r\n\r\n`,
      'ascii',
    );
  };
  const headerSize = header(0).length;
  // A body of one octet cannot end in CRLF.
  if (spec.size < headerSize || spec.size === headerSize + 1) {
    throw new UsageError(`--size ${spec.size} is smaller than the headers of a bench message (${headerSize} octets with these addresses)`, `give --size ${headerSize + 2} or more`);
  }
  const body = fillerBody(spec.size - headerSize);
  if (spec.size <= SINGLE_WRITE_LIMIT) {
    // One copy of a template per message, its number written in place: building the
    // header text and joining it to the body cost ~5 % of a load run's CPU.
    const template = Buffer.concat([header(0), ...body]);
    const zero = String(0).padStart(width, '0');
    const numberAt = [template.indexOf(`bench ${zero}\r\n`) + 'bench '.length, template.indexOf(`bench-${runId}-${zero}@`) + `bench-${runId}-`.length];
    return {
      size: spec.size,
      chunks: (index) => {
        const message = Buffer.allocUnsafe(template.length);
        template.copy(message);
        const number = String(index).padStart(width, '0');
        for (const at of numberAt) message.write(number, at, 'ascii');
        return [message];
      },
    };
  }
  return {
    size: spec.size,
    *chunks(index) {
      yield header(index);
      yield* body;
    },
  };
}

/** `bytes` octets of filler lines, the last one shortened (or lengthened by one) to fit exactly. */
function fillerBody(bytes: number): Iterable<Buffer> {
  let lines = Math.floor(bytes / FILLER_LINE.length);
  let tail = bytes % FILLER_LINE.length;
  if (tail === 1) {
    lines -= 1;
    tail += FILLER_LINE.length;
  }
  const block = Buffer.from(FILLER_LINE.repeat(Math.min(lines, BLOCK_LINES)), 'ascii');
  const last = tail === 0 ? null : Buffer.from(`${'x'.repeat(tail - 2)}\r\n`, 'ascii');
  return {
    *[Symbol.iterator]() {
      let remaining = lines;
      while (remaining >= BLOCK_LINES) {
        yield block;
        remaining -= BLOCK_LINES;
      }
      if (remaining > 0) yield block.subarray(0, remaining * FILLER_LINE.length);
      if (last) yield last;
    },
  };
}
