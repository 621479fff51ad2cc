import { Chalk, type ChalkInstance } from 'chalk';

/**
 * Colour on a terminal, off in pipes and files, off with NO_COLOR
 * (https://no-color.org), forced with FORCE_COLOR — decided once per stream.
 */
export function paletteFor(stream: NodeJS.WriteStream): ChalkInstance {
  const env = process.env;
  if (env.FORCE_COLOR && env.FORCE_COLOR !== '0' && env.FORCE_COLOR !== 'false') {
    const level = Number(env.FORCE_COLOR);
    return new Chalk({ level: level >= 1 && level <= 3 ? (level as 1 | 2 | 3) : 1 });
  }
  if ((env.NO_COLOR !== undefined && env.NO_COLOR !== '') || !stream.isTTY || env.TERM === 'dumb') return new Chalk({ level: 0 });
  const depth = stream.getColorDepth?.() ?? 4;
  return new Chalk({ level: depth >= 24 ? 3 : depth >= 8 ? 2 : 1 });
}
