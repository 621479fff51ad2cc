import fc from 'fast-check';

/**
 * Streams arrive in whatever pieces TCP and TLS make of them; every streaming piece
 * of the core must give the same result however its input is cut. `cuts` are
 * arbitrary numbers, turned into sorted positions inside the input.
 */
export function splitAt(bytes: Uint8Array, cuts: number[]): Buffer[] {
  const buffer = Buffer.from(bytes);
  if (buffer.length === 0) return [buffer];
  const positions = [...new Set(cuts.map((cut) => cut % (buffer.length + 1)))].sort((a, b) => a - b);
  const pieces: Buffer[] = [];
  let start = 0;
  for (const position of [...positions, buffer.length]) {
    pieces.push(buffer.subarray(start, position));
    start = position;
  }
  return pieces;
}

/** Cut points for splitAt: none (one piece) up to many (mostly one-byte pieces). */
export const cuts = (): fc.Arbitrary<number[]> => fc.array(fc.nat(), { maxLength: 64 });
